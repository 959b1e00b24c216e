"""newsmon: follow how one story spreads across outlets and languages."""

__version__ = "0.1.0"
