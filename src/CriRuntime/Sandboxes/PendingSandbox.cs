namespace CriRuntime.Sandboxes;

/// <summary>
/// The record of a pod being created. RunPodSandbox's CNI and pause branches run concurrently and each persists
/// what it learned as soon as it has it (DEL after a crash needs the CNI result): every change is applied to the
/// latest record under one lock, so neither branch's write drops the other's fields. The pod's own lock cannot
/// serve: CreateAsync holds it for the whole creation.
/// </summary>
internal sealed class PendingSandbox(SandboxIndex index, Sandbox initial)
{
    private readonly Lock _gate = new();
    private Sandbox _current = initial;

    public Sandbox Current
    {
        get
        {
            lock (_gate) return _current;
        }
    }

    /// <summary>Applies <paramref name="change"/> to the latest record and writes it (atomically) before returning.</summary>
    public Sandbox Update(Func<SandboxRecord, SandboxRecord> change)
    {
        lock (_gate)
        {
            var next = _current with { Record = change(_current.Record) };
            index.Save(next);
            _current = next;
            return next;
        }
    }
}
