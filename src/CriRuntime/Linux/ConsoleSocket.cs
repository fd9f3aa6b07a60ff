using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CriRuntime.Linux;

/// <summary>
/// The receiving end of an OCI runtime's --console-socket: a unix stream socket on which the runtime sends the
/// pty master as SCM_RIGHTS ancillary data (runc's utils.SendFd). The received fd is close-on-exec.
/// </summary>
internal sealed partial class ConsoleSocket : IDisposable
{
    private const int SolSocket = 1, ScmRights = 1, MsgCmsgCloexec = 0x40000000, MsgDontwait = 0x40;

    private readonly Socket _listener;

    public ConsoleSocket(string path)
    {
        Path = path;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(1);
    }

    public string Path { get; }

    /// <summary>Waits for the runtime to connect and send the master; the caller owns the returned handle.</summary>
    public async Task<SafeFileHandle> ReceiveMasterAsync(CancellationToken cancellationToken)
    {
        using var connection = await _listener.AcceptAsync(cancellationToken);
        while (true)
        {
            // A zero-byte receive waits until data is readable without consuming it; recvmsg then takes it all.
            await connection.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken);
            var fd = TryReceiveFd((int)connection.Handle);
            if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
            if (fd == -2) throw new IOException($"console socket {Path}: the runtime sent no file descriptor");
        }
    }

    /// <returns>The fd, -1 to retry (EAGAIN), -2 when the peer sent data without one or closed.</returns>
    private unsafe int TryReceiveFd(int socket)
    {
        var data = stackalloc byte[4096];
        var control = stackalloc byte[64];
        var iov = new IoVec { Base = data, Length = 4096 };
        var header = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 64 };
        var n = Native.recvmsg(socket, &header, MsgCmsgCloexec | MsgDontwait);
        if (n < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is 11 or 4) return -1; // EAGAIN, EINTR
            throw new LinuxException("recvmsg", Path, errno);
        }
        if (header.ControlLen >= 20)
        {
            var cmsg = (CmsgHdr*)control;
            if (cmsg->Level == SolSocket && cmsg->Type == ScmRights) return *(int*)(control + sizeof(CmsgHdr));
        }
        return -2;
    }

    public void Dispose()
    {
        _listener.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MsgHdr
    {
        public void* Name;
        public uint NameLen;
        public IoVec* Iov;
        public nuint IovLen;
        public void* Control;
        public nuint ControlLen;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CmsgHdr
    {
        public nuint Len;
        public int Level;
        public int Type;
    }

    private static unsafe partial class Native
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial nint recvmsg(int socket, MsgHdr* message, int flags);
    }
}
