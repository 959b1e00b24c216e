"""newsmon's crawler: outlets, discovery, URL rules, extraction, topic filter, Scrapy glue."""
