// Entry point of the `modelbuild` command; commands live in Commands/*.cs and are registered in CliApp.
return ModelBuild.Cli.CliApp.Run(args);
