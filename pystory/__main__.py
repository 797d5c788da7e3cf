from pystory.cli import main

main()
