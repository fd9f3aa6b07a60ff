using CriRuntime.Configuration;
using CriRuntime.Errors;

namespace CriRuntime.Runtime;

/// <summary>A runtime handler: a name (CRI runtime_handler, RuntimeClass handler) mapped to an OCI runtime.</summary>
internal sealed record OciRuntimeHandler(string Name, string Path, string Root);

/// <summary>Resolves CRI runtime_handler names against runtime.handlers.</summary>
internal sealed class RuntimeHandlers(DaemonOptions options)
{
    /// <summary>The handler for <paramref name="name"/>; empty means the default handler.</summary>
    /// <exception cref="InvalidArgumentException">No handler has that name.</exception>
    public OciRuntimeHandler Resolve(string name)
    {
        var key = name.Length == 0 ? options.Runtime.DefaultHandler : name;
        if (!options.Runtime.Handlers.TryGetValue(key, out var handler))
        {
            throw new InvalidArgumentException($"unknown runtime handler \"{name}\" (known: {string.Join(", ", options.Runtime.Handlers.Keys)})");
        }
        return new OciRuntimeHandler(key, handler.Path, handler.Root);
    }

    /// <summary><see cref="Resolve"/> for creating something new: the handler's binary must be installed.</summary>
    /// <exception cref="FailedPreconditionException">The binary is missing.</exception>
    public OciRuntimeHandler ResolveInstalled(string name)
    {
        var handler = Resolve(name);
        return File.Exists(handler.Path)
            ? handler
            : throw new FailedPreconditionException($"OCI runtime of handler \"{handler.Name}\" not found at {handler.Path}");
    }
}
