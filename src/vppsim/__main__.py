from vppsim.cli import main

main()
