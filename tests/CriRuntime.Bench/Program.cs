using CriRuntime.Bench;

return await BenchCommand.RunAsync(args);
