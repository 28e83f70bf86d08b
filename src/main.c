#include "cli/cli.h"

int main(int argc, char **argv)
{
	return exs_cli_main(argc, argv);
}
