using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Transport.Interop.Relay;

/// <summary>
/// Socket helpers of the relay: non-blocking receive that also reports the IPv4 TOS / IPv6 traffic class (so ECN marks
/// are carried through and captured; Linux recvmsg with IP_RECVTOS / IPV6_RECVTCLASS), and per-send traffic class.
/// Elsewhere receives use ReceiveFrom and report class 0.
/// </summary>
internal static unsafe partial class RelaySocket
{
    private const int IPPROTO_IP = 0, IP_TOS = 1, IP_RECVTOS = 13;
    private const int IPPROTO_IPV6 = 41, IPV6_RECVTCLASS = 66, IPV6_TCLASS = 67;
    private const int MSG_DONTWAIT = 0x40;
    private const int EAGAIN = 11, EINTR = 4;

    private static readonly bool Native = OperatingSystem.IsLinux() && IntPtr.Size == 8;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(SafeSocketHandle socket, MsgHdr* message, int flags);

    /// <summary>Asks the OS to report each datagram's TOS / traffic class.</summary>
    public static void EnableTrafficClassReceive(Socket socket)
    {
        if (!Native) return;
        try
        {
            if (socket.AddressFamily == AddressFamily.InterNetwork || socket.DualMode) socket.SetRawSocketOption(IPPROTO_IP, IP_RECVTOS, BitConverter.GetBytes(1));
            if (socket.AddressFamily == AddressFamily.InterNetworkV6) socket.SetRawSocketOption(IPPROTO_IPV6, IPV6_RECVTCLASS, BitConverter.GetBytes(1));
        }
        catch (SocketException)
        {
            // Not supported: classes are reported as 0.
        }
    }

    /// <summary>
    /// Sets SO_MARK (Linux; needs CAP_NET_ADMIN) on <paramref name="socket"/>, so nftables rules can tell its datagrams
    /// apart. Throws <see cref="InvalidOperationException"/> when the OS refuses.
    /// </summary>
    public static void SetMark(Socket socket, uint mark)
    {
        const int SOL_SOCKET = 1, SO_MARK = 36;
        if (!OperatingSystem.IsLinux()) throw new InvalidOperationException("SO_MARK needs Linux.");
        try
        {
            socket.SetRawSocketOption(SOL_SOCKET, SO_MARK, BitConverter.GetBytes(mark));
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"SO_MARK 0x{mark:x8} could not be set (needs root / CAP_NET_ADMIN): {e.Message}", e);
        }
    }

    /// <summary>Sets the TOS / traffic class of the next sends (ECN bits included; Linux keeps them for UDP).</summary>
    public static void SetTrafficClass(Socket socket, byte trafficClass)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            Span<byte> value = stackalloc byte[4];
            BitConverter.TryWriteBytes(value, (int)trafficClass);
            if (socket.AddressFamily == AddressFamily.InterNetwork || socket.DualMode) socket.SetRawSocketOption(IPPROTO_IP, IP_TOS, value);
            if (socket.AddressFamily == AddressFamily.InterNetworkV6) socket.SetRawSocketOption(IPPROTO_IPV6, IPV6_TCLASS, value);
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>
    /// Receives one datagram without blocking into <paramref name="buffer"/>; its sender into <paramref name="from"/>.
    /// Returns its length, or -1 when none is waiting. Throws <see cref="SocketException"/> for other errors.
    /// </summary>
    public static int Receive(Socket socket, byte[] buffer, SocketAddress from, out byte trafficClass)
    {
        trafficClass = 0;
        if (!Native)
        {
            try
            {
                return socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                return -1;
            }
        }

        Span<byte> control = stackalloc byte[64];
        Memory<byte> nameMemory = from.Buffer;
        using var namePin = nameMemory.Pin();
        fixed (byte* data = buffer)
        fixed (byte* ctl = control)
        {
            var iov = new IoVec { Base = data, Length = (nuint)buffer.Length };
            while (true)
            {
                var msg = new MsgHdr
                {
                    Name = namePin.Pointer,
                    NameLength = (uint)nameMemory.Length,
                    Iov = &iov,
                    IovLength = 1,
                    Control = ctl,
                    ControlLength = (nuint)control.Length,
                };
                nint n = RecvMsg(socket.SafeHandle, &msg, MSG_DONTWAIT);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR) continue;
                    if (errno == EAGAIN) return -1;
                    throw new SocketException(errno == 111 ? (int)SocketError.ConnectionRefused : (int)SocketError.SocketError);
                }
                from.Size = (int)msg.NameLength;
                // Walk the control messages (struct cmsghdr: size_t len; int level; int type; data, 8-byte aligned).
                nuint offset = 0;
                while (offset + 16 <= msg.ControlLength)
                {
                    byte* c = ctl + offset;
                    nuint length = *(nuint*)c;
                    if (length < 16) break;
                    int level = *(int*)(c + 8), type = *(int*)(c + 12);
                    if (level == IPPROTO_IP && type == IP_TOS && length >= 17) trafficClass = c[16];
                    else if (level == IPPROTO_IPV6 && type == IPV6_TCLASS && length >= 20) trafficClass = (byte)*(int*)(c + 16);
                    offset += (length + 7) & ~(nuint)7;
                }
                return (int)n;
            }
        }
    }
}
