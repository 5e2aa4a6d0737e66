from dispatcher.entry import main

main()
