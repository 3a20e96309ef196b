// Entry point of the `modelbuild` command; commands are added in Commands/*.cs.
return 0;
