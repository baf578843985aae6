from vision_platform.cli import main

main()
