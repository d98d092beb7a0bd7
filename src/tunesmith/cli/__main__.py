from tunesmith.cli import main

main(prog_name="tunesmith")
