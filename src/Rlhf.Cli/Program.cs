return Rlhf.Cli.DistributedLaunch.Run(args);
