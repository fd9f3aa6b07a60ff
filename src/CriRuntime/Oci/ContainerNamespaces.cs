using CriRuntime.Api.V1;
using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>
/// Which namespaces a container joins: the pod's network (its pinned netns), IPC and UTS (the pause's), PID per
/// the container's mode (POD: the pause's, CONTAINER: a new one, NODE: the host's, TARGET: the target
/// container's), always a new mount namespace. A host namespace has no entry at all, so runc stays in the host's.
/// </summary>
internal static class ContainerNamespaces
{
    public static List<SpecNamespace> Build(NamespaceOption? options, PodFacts pod)
    {
        options ??= new NamespaceOption();
        var pause = $"/proc/{pod.PausePid}/ns/";
        var result = new List<SpecNamespace> { new("mount") };
        if (options.Network != NamespaceMode.Node)
        {
            result.Add(new("network", pod.NetnsPath ?? pause + "net"));
            // UTS follows the network, as for the pause: a host-network pod keeps the node's hostname.
            result.Add(new("uts", pause + "uts"));
        }
        if (options.Ipc != NamespaceMode.Node) result.Add(new("ipc", pause + "ipc"));
        switch (options.Pid)
        {
            case NamespaceMode.Pod:
                result.Add(new("pid", pause + "pid"));
                break;
            case NamespaceMode.Container:
                result.Add(new("pid"));
                break;
            case NamespaceMode.Target:
                if (pod.TargetPid is not { } target)
                {
                    throw new NotFoundException($"target container \"{options.TargetId}\" of the PID namespace is not running");
                }
                result.Add(new("pid", $"/proc/{target}/ns/pid"));
                break;
            case NamespaceMode.Node:
                break;
            default:
                throw new InvalidArgumentException($"unknown PID namespace mode {options.Pid}");
        }
        if (options.UsernsOptions is not null && options.UsernsOptions.Mode != NamespaceMode.Node)
        {
            throw new UnimplementedException("user namespaces are not supported");
        }
        return result;
    }
}
