using System.Runtime.InteropServices;

namespace Transport.Core.Udp;

/// <summary>
/// The few libc calls the datagram paths need on Linux (sendto; sendmsg with a UDP_SEGMENT control message; sendmmsg;
/// recvmmsg, with or without UDP_GRO control messages; poll, shutdown), with the Linux constants they use.
/// Constants are those of the generic Linux ABI (x86-64, arm64, arm, riscv); the path is only used on Linux.
/// </summary>
internal static unsafe partial class LinuxUdpNative
{
    // Levels.
    internal const int SOL_SOCKET = 1;
    internal const int IPPROTO_IP = 0;
    internal const int IPPROTO_IPV6 = 41;
    internal const int SOL_UDP = 17;

    // UDP options (linux/udp.h).
    internal const int UDP_SEGMENT = 103;
    internal const int UDP_GRO = 104;

    // IP options (linux/in.h, linux/in6.h).
    internal const int IP_TOS = 1;
    internal const int IP_RECVERR = 11;
    internal const int IP_RECVTOS = 13;
    internal const int IPV6_RECVERR = 25;
    internal const int IPV6_RECVTCLASS = 66;
    internal const int IPV6_TCLASS = 67;
    internal const int IP_MTU_DISCOVER = 10;
    internal const int IP_MTU = 14;
    internal const int IPV6_MTU_DISCOVER = 23;
    internal const int IPV6_MTU = 24;
    /// <summary>IP_PMTUDISC_PROBE / IPV6_PMTUDISC_PROBE: set DF, never fragment, ignore the kernel's path MTU cache (a sender that discovers the path MTU itself).</summary>
    internal const int PMTUDISC_PROBE = 3;

    // Socket options.
    internal const int SO_SNDBUFFORCE = 32;
    internal const int SO_RCVBUFFORCE = 33;

    // Message flags.
    internal const int MSG_CTRUNC = 0x08;
    internal const int MSG_TRUNC = 0x20;
    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_WAITFORONE = 0x10000;

    // poll events.
    internal const short POLLIN = 0x001;
    internal const short POLLOUT = 0x004;

    // shutdown.
    internal const int SHUT_RDWR = 2;

    // errno values.
    internal const int EPERM = 1;
    internal const int EINTR = 4;
    internal const int EIO = 5;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int EACCES = 13;
    internal const int EINVAL = 22;
    internal const int EMSGSIZE = 90;
    internal const int ENOPROTOOPT = 92;
    internal const int EOPNOTSUPP = 95;
    internal const int EAFNOSUPPORT = 97;
    internal const int ENETUNREACH = 101;
    internal const int ECONNRESET = 104;
    internal const int ENOBUFS = 105;
    internal const int ENOTCONN = 107;
    internal const int ECONNREFUSED = 111;
    internal const int EHOSTUNREACH = 113;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint sendmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint sendto(int fd, void* buffer, nuint length, int flags, void* address, uint addressLength);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int sendmmsg(int fd, MMsgHdr* msgvec, uint vlen, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int recvmmsg(int fd, MMsgHdr* msgvec, uint vlen, int flags, void* timeout);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int poll(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int shutdown(int fd, int how);

    /// <summary>Whether libc loads and exports what this class calls (checked once, with a harmless poll of nothing).</summary>
    internal static bool IsAvailable => s_available.Value;

    private static readonly Lazy<bool> s_available = new(Probe);

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            _ = poll(null, 0, 0);
            _ = Marshal.GetLastPInvokeError();
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    /// <summary>Bytes of a <c>cmsghdr</c> header, aligned: 16 on 64-bit, 12 on 32-bit.</summary>
    internal static int CmsgHeaderSize => CmsgAlign(sizeof(CmsgHdr));

    /// <summary>CMSG_ALIGN: rounds up to the alignment of <c>size_t</c>.</summary>
    internal static int CmsgAlign(int length) => (length + nint.Size - 1) & ~(nint.Size - 1);

    /// <summary>CMSG_SPACE: the room one control message with <paramref name="dataLength"/> bytes of data takes.</summary>
    internal static int CmsgSpace(int dataLength) => CmsgHeaderSize + CmsgAlign(dataLength);

    /// <summary>CMSG_LEN: the value of <c>cmsg_len</c> for <paramref name="dataLength"/> bytes of data.</summary>
    internal static int CmsgLen(int dataLength) => CmsgHeaderSize + dataLength;

    /// <summary>Maps a Linux errno to the <see cref="System.Net.Sockets.SocketError"/> .NET would report.</summary>
    internal static System.Net.Sockets.SocketError ToSocketError(int errno) => errno switch
    {
        EINTR => System.Net.Sockets.SocketError.Interrupted,
        EBADF => System.Net.Sockets.SocketError.OperationAborted,
        EAGAIN => System.Net.Sockets.SocketError.WouldBlock,
        EPERM or EACCES => System.Net.Sockets.SocketError.AccessDenied,
        EINVAL => System.Net.Sockets.SocketError.InvalidArgument,
        EMSGSIZE => System.Net.Sockets.SocketError.MessageSize,
        ENOPROTOOPT => System.Net.Sockets.SocketError.ProtocolOption,
        EOPNOTSUPP => System.Net.Sockets.SocketError.OperationNotSupported,
        EAFNOSUPPORT => System.Net.Sockets.SocketError.AddressFamilyNotSupported,
        ENETUNREACH => System.Net.Sockets.SocketError.NetworkUnreachable,
        ECONNRESET => System.Net.Sockets.SocketError.ConnectionReset,
        ENOBUFS => System.Net.Sockets.SocketError.NoBufferSpaceAvailable,
        ENOTCONN => System.Net.Sockets.SocketError.NotConnected,
        ECONNREFUSED => System.Net.Sockets.SocketError.ConnectionRefused,
        EHOSTUNREACH => System.Net.Sockets.SocketError.HostUnreachable,
        _ => System.Net.Sockets.SocketError.SocketError,
    };

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVec
    {
        internal void* Base;
        internal nuint Length;
    }

    /// <summary>struct msghdr (glibc/musl layout: socklen_t name length, size_t lengths elsewhere).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MsgHdr
    {
        internal void* Name;
        internal uint NameLength;
        internal IoVec* Iov;
        internal nuint IovLength;
        internal void* Control;
        internal nuint ControlLength;
        internal int Flags;
    }

    /// <summary>struct mmsghdr: a msghdr and the byte count the kernel fills in.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MMsgHdr
    {
        internal MsgHdr Header;
        internal uint Length;
    }

    /// <summary>struct cmsghdr: its data follows at <see cref="CmsgHeaderSize"/>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct CmsgHdr
    {
        internal nuint Length;
        internal int Level;
        internal int Type;
    }

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        internal int Fd;
        internal short Events;
        internal short Revents;
    }
}
