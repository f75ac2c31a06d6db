return Rlhf.Cli.CliApp.Run(args);
