from newsmon.cli import main

main()
