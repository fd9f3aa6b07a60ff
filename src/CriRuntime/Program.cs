using CriRuntime.Hosting;

return await Entrypoint.RunAsync(args);
