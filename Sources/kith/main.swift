import KithCLI
KithCommand.main()
