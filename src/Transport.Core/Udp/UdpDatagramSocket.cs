using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Transport.Core.Udp.LinuxUdpNative;

namespace Transport.Core.Udp;

/// <summary>
/// A UDP socket for datagram protocols: sends and receives without allocating per datagram, reports the sender of
/// every datagram, sends trains of equal-size datagrams in one system call (Linux UDP GSO, else sendmmsg) and receives
/// many datagrams per system call (Linux recvmmsg, with UDP GRO where enabled), falling back to one datagram per call
/// where the OS lacks these.
/// </summary>
/// <remarks>
/// Sends may come from any thread, concurrently. Receives use a caller-owned <see cref="DatagramBatch"/>; one receive
/// at a time per batch. <see cref="Dispose"/> unblocks a thread waiting in <see cref="Receive"/> (it then throws
/// <see cref="ObjectDisposedException"/>) and stops the <see cref="UdpReceiveLoop"/>, if any.
/// ICMP errors caused by earlier sends (port unreachable: ConnectionRefused/ConnectionReset) never end a receive: they
/// are counted in <see cref="IgnoredIcmpErrors"/> and the receive goes on.
/// </remarks>
public sealed class UdpDatagramSocket : IDisposable
{
    /// <summary>Most datagrams one GSO send carries (the Linux limit, UDP_MAX_SEGMENTS in older kernels).</summary>
    public const int MaxSegmentsPerSend = 64;

    /// <summary>Most payload bytes one send (one datagram, or one GSO train) carries: the IPv4 UDP limit, 65535 - 20 - 8.</summary>
    public const int MaxSendPayload = 65507;

    private readonly Socket _socket;
    private readonly SafeSocketHandle _handle;
    private readonly bool _dualMode;
    private readonly bool _native;        // Linux libc calls: sendto, sendmmsg, recvmmsg (else the portable Socket calls)
    private readonly bool _gro;           // UDP_GRO is on: recvmmsg messages may hold coalesced trains
    private readonly bool _receiveControl; // recvmmsg asks for control messages (GRO segment size, TOS)
    private volatile bool _gso;
    private volatile int _disposed;
    private UdpReceiveLoop? _loop;
    private long _ignoredIcmpErrors;

    /// <summary>Creates and binds a socket as <paramref name="options"/> say.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="SocketException">The OS refused to create or bind the socket.</exception>
    public UdpDatagramSocket(UdpSocketOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        AddressFamily family = options.LocalEndPoint.AddressFamily;
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (family == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = options.DualMode;
                _dualMode = options.DualMode;
            }
            if (options.SendBufferSize > 0) SetBufferSize(socket, send: true, options.SendBufferSize);
            if (options.ReceiveBufferSize > 0) SetBufferSize(socket, send: false, options.ReceiveBufferSize);
            if (OperatingSystem.IsWindows()) DisableUdpConnectionReset(socket);
            socket.Bind(options.LocalEndPoint);

            if (OperatingSystem.IsLinux() && LinuxUdpNative.IsAvailable && !options.PortableSystemCalls)
            {
                _native = true;
                _perDatagramEcn = true;
                if (options.EnableGso) _gso = ProbeGso(socket);
                if (options.EnableGro) _gro = TrySetInt(socket, SOL_UDP, UDP_GRO, 1);
                _receiveControl = _gro;
                if (options.ReceiveTypeOfService)
                {
                    if (family == AddressFamily.InterNetwork || _dualMode) _receiveControl |= TrySetInt(socket, IPPROTO_IP, IP_RECVTOS, 1);
                    if (family == AddressFamily.InterNetworkV6) _receiveControl |= TrySetInt(socket, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
                }
            }
            _dualModeForEcn = family == AddressFamily.InterNetworkV6 && _dualMode;
            if (options.SendEcnCodepoint != 0) ApplySendEcn(socket, family, options.SendEcnCodepoint);
            if (options.DontFragment) _dontFragment = ApplyDontFragment(socket, family, _dualMode);
            if (OperatingSystem.IsLinux() && options.ReportIcmpErrors)
            {
                if (family == AddressFamily.InterNetwork || _dualMode) TrySetInt(socket, IPPROTO_IP, IP_RECVERR, 1);
                if (family == AddressFamily.InterNetworkV6) TrySetInt(socket, IPPROTO_IPV6, IPV6_RECVERR, 1);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        _handle = socket.SafeHandle;
        AddressFamily = family;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    private readonly bool _dualModeForEcn;
    private readonly bool _dontFragment;

    /// <summary>
    /// Whether datagrams go out unfragmentable (<see cref="UdpSocketOptions.DontFragment"/>): IPv4 with the DF bit, and
    /// a datagram larger than the route's MTU fails with <see cref="SocketError.MessageSize"/> instead of being
    /// fragmented. False when it was not asked or the OS refused.
    /// </summary>
    public bool IsDontFragmentEnabled => _dontFragment;

    /// <summary>IP_MTU_DISCOVER / IPV6_MTU_DISCOVER = PMTUDISC_PROBE on Linux (both for a dual-mode socket); Socket.DontFragment elsewhere (IPv4).</summary>
    private static bool ApplyDontFragment(Socket socket, AddressFamily family, bool dualMode)
    {
        if (OperatingSystem.IsLinux())
        {
            bool ok = true;
            if (family == AddressFamily.InterNetwork || dualMode) ok &= TrySetInt(socket, IPPROTO_IP, IP_MTU_DISCOVER, PMTUDISC_PROBE);
            if (family == AddressFamily.InterNetworkV6) ok &= TrySetInt(socket, IPPROTO_IPV6, IPV6_MTU_DISCOVER, PMTUDISC_PROBE);
            return ok;
        }
        if (family != AddressFamily.InterNetwork) return false; // IPv6 is never fragmented by routers; local fragmentation cannot be turned off portably
        try
        {
            socket.DontFragment = true;
            return true;
        }
        catch (Exception e) when (e is SocketException or NotSupportedException)
        {
            return false;
        }
    }
    private volatile int _sendEcn;

    /// <summary>
    /// The ECN codepoint the socket's datagrams carry now (see <see cref="UdpSocketOptions.SendEcnCodepoint"/>): 0 when
    /// none was asked, or on an OS or kernel where it could not be set.
    /// </summary>
    public int SendEcnCodepoint => _sendEcn;

    /// <summary>
    /// Changes the ECN codepoint of later sends (0 Not-ECT, 1 ECT(1), 2 ECT(0)), e.g. to stop marking after ECN
    /// validation failed on every path (RFC 9000 §13.4.2). Linux only; false when the codepoint could not be set (then
    /// <see cref="SendEcnCodepoint"/> is unchanged).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not 0, 1 or 2.</exception>
    public bool TrySetSendEcnCodepoint(int codepoint)
    {
        if (codepoint is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(codepoint), codepoint, "The ECN codepoint to send must be 0, 1 or 2.");
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return ApplySendEcn(_socket, AddressFamily, codepoint);
    }

    /// <summary>IP_TOS (IPv4, and the IPv4 side of a dual-mode socket) and IPV6_TCLASS with the codepoint in the two low bits.</summary>
    private bool ApplySendEcn(Socket socket, AddressFamily family, int codepoint)
    {
        if (!OperatingSystem.IsLinux()) return false; // portable fallback: no ECN
        bool ok = true;
        if (family == AddressFamily.InterNetwork || _dualModeForEcn) ok &= TrySetInt(socket, IPPROTO_IP, IP_TOS, codepoint);
        if (family == AddressFamily.InterNetworkV6) ok &= TrySetInt(socket, IPPROTO_IPV6, IPV6_TCLASS, codepoint);
        if (ok) _sendEcn = codepoint;
        return ok;
    }

    /// <summary>The bound local address and port (the port the OS picked when 0 was asked).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The socket's address family: every <see cref="SocketAddress"/> passed in or handed out is of this family.</summary>
    public AddressFamily AddressFamily { get; }

    /// <summary>Whether <see cref="SendSegments"/> currently uses GSO (it turns false for good if the kernel rejects it).</summary>
    public bool IsGsoEnabled => _gso;

    /// <summary>Whether receives use UDP GRO (the kernel may coalesce a train into one message, which the batch splits again).</summary>
    public bool IsGroEnabled => _gro;

    /// <summary>
    /// Whether receives take many datagrams per system call (Linux recvmmsg, with or without GRO) and
    /// <see cref="SendSegments"/> without GSO sends many per call (sendmmsg); else one datagram per system call.
    /// </summary>
    public bool IsBatchingEnabled => _native;

    /// <summary>The socket error that made GSO fall back to plain sends, if it did.</summary>
    public SocketError? GsoFallbackReason { get; private set; }

    /// <summary>ICMP error reports (ConnectionRefused/ConnectionReset) that receives and sends skipped.</summary>
    public long IgnoredIcmpErrors => Interlocked.Read(ref _ignoredIcmpErrors);

    /// <summary>The send buffer size the OS granted (Linux reports twice the size asked, for its bookkeeping).</summary>
    public int SendBufferSize => _socket.SendBufferSize;

    /// <summary>The receive buffer size the OS granted (Linux reports twice the size asked, for its bookkeeping).</summary>
    public int ReceiveBufferSize => _socket.ReceiveBufferSize;

    internal Socket Socket => _socket;

    /// <summary>Datagrams per GSO call; tests raise it past the kernel's limit to provoke the EINVAL fallback.</summary>
    internal int GsoSegmentLimit { get; set; } = MaxSegmentsPerSend;

    internal bool IsDisposed => _disposed != 0;

    /// <summary>
    /// The <see cref="SocketAddress"/> to send to <paramref name="endPoint"/> from this socket: an IPv4 end point becomes
    /// IPv4-mapped IPv6 for a dual-mode socket. Allocates; build addresses once per peer, not per datagram.
    /// </summary>
    /// <exception cref="ArgumentException">The socket cannot reach that address family.</exception>
    public SocketAddress CreateRemoteAddress(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (AddressFamily == AddressFamily.InterNetworkV6 && endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            if (!_dualMode)
                throw new ArgumentException($"An IPv6-only socket cannot send to the IPv4 address {endPoint}; bind with DualMode.", nameof(endPoint));
            endPoint = new IPEndPoint(endPoint.Address.MapToIPv6(), endPoint.Port);
        }
        else if (AddressFamily == AddressFamily.InterNetwork && endPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (!endPoint.Address.IsIPv4MappedToIPv6)
                throw new ArgumentException($"An IPv4 socket cannot send to the IPv6 address {endPoint}.", nameof(endPoint));
            endPoint = new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port);
        }
        return endPoint.Serialize();
    }

    /// <summary>The <see cref="IPEndPoint"/> of a socket address (allocates: for logs and setup, not per datagram).</summary>
    public static IPEndPoint ToIPEndPoint(SocketAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        IPEndPoint template = address.Family == AddressFamily.InterNetworkV6
            ? new IPEndPoint(IPAddress.IPv6Any, 0)
            : new IPEndPoint(IPAddress.Any, 0);
        return (IPEndPoint)template.Create(address);
    }

    /// <summary>A receive batch that suits this socket (see <see cref="DatagramBatch"/>).</summary>
    public DatagramBatch CreateBatch(int messageCapacity = 32)
        => new(AddressFamily, messageCapacity, DatagramBatch.GroMessageSize);

    // ------------------------------------------------------------------ send

    /// <summary>Sends one datagram to <paramref name="remote"/> (blocks while the send buffer is full).</summary>
    /// <exception cref="ArgumentException">The datagram is too large or the address is of another family.</exception>
    /// <exception cref="SocketException">The OS failed the send (other than a stale ICMP report, which is retried once).</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    public void Send(ReadOnlySpan<byte> datagram, SocketAddress remote) => SendCore(datagram, remote, DefaultEcn);

    /// <summary>
    /// Sends one datagram to <paramref name="remote"/> carrying the ECN codepoint <paramref name="ecn"/> (0 Not-ECT,
    /// 1 ECT(1), 2 ECT(0)) in its IP TOS / IPv6 traffic class byte, whatever the socket-wide
    /// <see cref="SendEcnCodepoint"/> says: an IP_TOS (IPv4 and IPv4-mapped destinations) or IPV6_TCLASS control
    /// message where <see cref="IsPerDatagramEcnEnabled"/>, else the datagram goes out with the socket's codepoint.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ecn"/> is not 0, 1 or 2.</exception>
    /// <exception cref="ArgumentException">The datagram is too large or the address is of another family.</exception>
    /// <exception cref="SocketException">The OS failed the send (other than a stale ICMP report, which is retried once).</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    public void SendWithEcn(ReadOnlySpan<byte> datagram, SocketAddress remote, int ecn)
    {
        ValidateEcn(ecn);
        SendCore(datagram, remote, ecn);
    }

    private void SendCore(ReadOnlySpan<byte> datagram, SocketAddress remote, int ecn)
    {
        ValidateRemote(remote);
        if (datagram.Length > MaxSendPayload)
            throw new ArgumentException($"A datagram carries at most {MaxSendPayload} bytes, not {datagram.Length}.", nameof(datagram));
        SendPlain(datagram, remote, ecn);
    }

    /// <summary>Sends one datagram asynchronously (same rules as <see cref="Send"/>).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, SocketAddress remote, CancellationToken cancellationToken = default)
    {
        ValidateRemote(remote);
        if (datagram.Length > MaxSendPayload)
            throw new ArgumentException($"A datagram carries at most {MaxSendPayload} bytes, not {datagram.Length}.", nameof(datagram));
        try
        {
            await _socket.SendToAsync(datagram, SocketFlags.None, remote, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e) when (IsIcmpError(e.SocketErrorCode))
        {
            Interlocked.Increment(ref _ignoredIcmpErrors);
            await _socket.SendToAsync(datagram, SocketFlags.None, remote, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends <paramref name="train"/> as consecutive datagrams of <paramref name="segmentSize"/> bytes (the last may be
    /// shorter) to <paramref name="remote"/>: with GSO, up to <see cref="MaxSegmentsPerSend"/> datagrams and
    /// <see cref="MaxSendPayload"/> bytes per system call; else one send per datagram.
    /// </summary>
    /// <returns>The number of datagrams sent.</returns>
    /// <remarks>Without GSO, on Linux, the datagrams go out up to 64 per system call (sendmmsg).</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The segment size is not 1..<see cref="MaxSendPayload"/>.</exception>
    public int SendSegments(ReadOnlySpan<byte> train, int segmentSize, SocketAddress remote) =>
        SendSegmentsCore(train, segmentSize, remote, DefaultEcn);

    /// <summary>
    /// <see cref="SendSegments"/> with every datagram of the train carrying the
    /// ECN codepoint <paramref name="ecn"/> (see <see cref="SendWithEcn"/>): one GSO
    /// send has one IP header template, so a train has one codepoint; split trains where the codepoint changes.
    /// </summary>
    /// <returns>The number of datagrams sent.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The segment size is not 1..<see cref="MaxSendPayload"/>, or <paramref name="ecn"/> is not 0, 1 or 2.</exception>
    public int SendSegmentsWithEcn(ReadOnlySpan<byte> train, int segmentSize, SocketAddress remote, int ecn)
    {
        ValidateEcn(ecn);
        return SendSegmentsCore(train, segmentSize, remote, ecn);
    }

    private int SendSegmentsCore(ReadOnlySpan<byte> train, int segmentSize, SocketAddress remote, int ecn)
    {
        if (segmentSize is < 1 or > MaxSendPayload)
            throw new ArgumentOutOfRangeException(nameof(segmentSize), segmentSize, $"The segment size must be 1..{MaxSendPayload} bytes.");
        ValidateRemote(remote);
        if (train.IsEmpty) return 0;
        int datagrams = (train.Length + segmentSize - 1) / segmentSize;

        int segmentsPerCall = Math.Min(GsoSegmentLimit, MaxSendPayload / segmentSize);
        if (_gso && segmentsPerCall >= 2 && datagrams >= 2)
        {
            while (!train.IsEmpty)
            {
                int chunk = Math.Min(segmentsPerCall * segmentSize, train.Length);
                if (chunk <= segmentSize) SendPlain(train[..chunk], remote, ecn);
                else if (!TrySendGso(train[..chunk], segmentSize, remote, ecn)) break; // GSO just turned off: send the rest plainly
                train = train[chunk..];
            }
        }

        if (_native && train.Length > segmentSize)
        {
            SendTrainNative(train, segmentSize, remote, ecn);
            return datagrams;
        }
        while (!train.IsEmpty)
        {
            int length = Math.Min(segmentSize, train.Length);
            SendPlain(train[..length], remote, ecn);
            train = train[length..];
        }
        return datagrams;
    }

    private void SendPlain(ReadOnlySpan<byte> datagram, SocketAddress remote, int ecn)
    {
        if (_native)
        {
            if (NeedsEcnControl(ecn)) SendMsgNative(datagram, remote, ecn);
            else SendToNative(datagram, remote);
            return;
        }
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, remote);
        }
        catch (SocketException e) when (IsIcmpError(e.SocketErrorCode))
        {
            // A pending error report about an earlier datagram, not this one: it is consumed now, so send again.
            Interlocked.Increment(ref _ignoredIcmpErrors);
            _socket.SendTo(datagram, SocketFlags.None, remote);
        }
    }

    /// <summary>One sendto: what Socket.SendTo does, without its per-call bookkeeping.</summary>
    private unsafe void SendToNative(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        bool addedRef = false;
        try
        {
            _handle.DangerousAddRef(ref addedRef);
            int fd = (int)_handle.DangerousGetHandle();
            bool retriedIcmp = false;
            fixed (byte* data = datagram)
            fixed (byte* name = remote.Buffer.Span)
            {
                while (sendto(fd, data, (nuint)datagram.Length, 0, name, (uint)remote.Size) < 0)
                    OnSendError(fd, Marshal.GetLastPInvokeError(), ref retriedIcmp);
            }
        }
        finally
        {
            if (addedRef) _handle.DangerousRelease();
        }
    }

    // ------------------------------------------------------------------ per-datagram ECN (RFC 3168 §5, RFC 9000 §13.4)

    /// <summary>What the overloads without a codepoint pass: the socket-wide codepoint, no control message.</summary>
    private const int DefaultEcn = -1;

    private volatile bool _perDatagramEcn; // set in the constructor on Linux; off for good if the kernel refuses the control message

    /// <summary>
    /// Whether the sends that take an ECN codepoint set it per datagram (an IP_TOS / IPV6_TCLASS control message on
    /// Linux). False on other systems (they send with the socket-wide <see cref="SendEcnCodepoint"/>), and after the
    /// kernel refused such a control message.
    /// </summary>
    public bool IsPerDatagramEcnEnabled => _perDatagramEcn;

    private static void ValidateEcn(int ecn)
    {
        if (ecn is < 0 or > 2)
            throw new ArgumentOutOfRangeException(nameof(ecn), ecn, "The ECN codepoint to send must be 0 (Not-ECT), 1 (ECT(1)) or 2 (ECT(0)).");
    }

    /// <summary>A control message is needed when a codepoint was asked that differs from what the socket sets anyway.</summary>
    private bool NeedsEcnControl(int ecn) => ecn >= 0 && ecn != _sendEcn && _perDatagramEcn;

    /// <summary>Room for one IP_TOS / IPV6_TCLASS control message (an int).</summary>
    private static int EcnControlSpace => CmsgSpace(sizeof(int));

    /// <summary>
    /// Writes the IP_TOS or IPV6_TCLASS control message for <paramref name="ecn"/> at <paramref name="control"/>: the
    /// level follows the destination, since Linux sends an IPv4-mapped destination of an IPv6 socket through its IPv4
    /// path, which reads IP_TOS and ignores IPV6_TCLASS. Returns the bytes written (CMSG_SPACE).
    /// </summary>
    private unsafe int WriteEcnControl(byte* control, SocketAddress remote, int ecn)
    {
        new Span<byte>(control, EcnControlSpace).Clear();
        CmsgHdr* c = (CmsgHdr*)control;
        c->Length = (nuint)CmsgLen(sizeof(int));
        if (IsIPv4Destination(remote))
        {
            c->Level = IPPROTO_IP;
            c->Type = IP_TOS;
        }
        else
        {
            c->Level = IPPROTO_IPV6;
            c->Type = IPV6_TCLASS;
        }
        *(int*)(control + CmsgHeaderSize) = ecn; // DSCP 0, the codepoint in the two low bits
        return EcnControlSpace;
    }

    /// <summary>IPv4, or IPv4-mapped IPv6 (<c>::ffff:a.b.c.d</c>, bytes 8..23 of a native sockaddr_in6).</summary>
    private bool IsIPv4Destination(SocketAddress remote)
    {
        if (AddressFamily == AddressFamily.InterNetwork) return true;
        ReadOnlySpan<byte> address = remote.Buffer.Span.Slice(8, 16);
        return address[..10].IndexOfAnyExcept((byte)0) < 0 && address[10] == 0xff && address[11] == 0xff;
    }

    /// <summary>The kernel refused the ECN control message (EINVAL): send without it from now on.</summary>
    private void DisablePerDatagramEcn() => _perDatagramEcn = false;

    /// <summary>One sendmsg with an IP_TOS / IPV6_TCLASS control message.</summary>
    private unsafe void SendMsgNative(ReadOnlySpan<byte> datagram, SocketAddress remote, int ecn)
    {
        byte* control = stackalloc byte[EcnControlSpace];
        int controlLength = WriteEcnControl(control, remote, ecn);
        bool addedRef = false;
        try
        {
            _handle.DangerousAddRef(ref addedRef);
            int fd = (int)_handle.DangerousGetHandle();
            bool retriedIcmp = false;
            fixed (byte* data = datagram)
            fixed (byte* name = remote.Buffer.Span)
            {
                IoVec iov = new() { Base = data, Length = (nuint)datagram.Length };
                MsgHdr msg = new()
                {
                    Name = name,
                    NameLength = (uint)remote.Size,
                    Iov = &iov,
                    IovLength = 1,
                    Control = control,
                    ControlLength = (nuint)controlLength,
                };
                while (sendmsg(fd, &msg, 0) < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINVAL && msg.Control != null)
                    {
                        DisablePerDatagramEcn(); // no TOS control messages here: send unmarked
                        msg.Control = null;
                        msg.ControlLength = 0;
                        continue;
                    }
                    OnSendError(fd, errno, ref retriedIcmp);
                }
            }
        }
        finally
        {
            if (addedRef) _handle.DangerousRelease();
        }
    }

    /// <summary>Most messages per sendmmsg call (the vector lives on the stack).</summary>
    private const int MaxMessagesPerSendmmsg = 64;

    /// <summary>Sends a train as separate datagrams of <paramref name="segmentSize"/> bytes, up to 64 per sendmmsg call.</summary>
    private unsafe void SendTrainNative(ReadOnlySpan<byte> train, int segmentSize, SocketAddress remote, int ecn)
    {
        MMsgHdr* headers = stackalloc MMsgHdr[MaxMessagesPerSendmmsg];
        IoVec* iovecs = stackalloc IoVec[MaxMessagesPerSendmmsg];
        byte* control = stackalloc byte[EcnControlSpace]; // one control message shared by every datagram of the train
        int controlLength = NeedsEcnControl(ecn) ? WriteEcnControl(control, remote, ecn) : 0;
        bool addedRef = false;
        try
        {
            _handle.DangerousAddRef(ref addedRef);
            int fd = (int)_handle.DangerousGetHandle();
            bool retriedIcmp = false;
            int total = train.Length;
            fixed (byte* data = train)
            fixed (byte* name = remote.Buffer.Span)
            {
                uint nameLength = (uint)remote.Size;
                int offset = 0;
                while (offset < total)
                {
                    int n = 0;
                    for (int at = offset; at < total && n < MaxMessagesPerSendmmsg; at += segmentSize, n++)
                    {
                        iovecs[n] = new IoVec { Base = data + at, Length = (nuint)Math.Min(segmentSize, total - at) };
                        headers[n] = new MMsgHdr { Header = new MsgHdr { Name = name, NameLength = nameLength, Iov = iovecs + n, IovLength = 1 } };
                        if (controlLength > 0)
                        {
                            headers[n].Header.Control = control;
                            headers[n].Header.ControlLength = (nuint)controlLength;
                        }
                    }
                    int sent = sendmmsg(fd, headers, (uint)n, 0);
                    if (sent < 0)
                    {
                        int errno = Marshal.GetLastPInvokeError();
                        if (errno == EINVAL && controlLength > 0)
                        {
                            DisablePerDatagramEcn(); // no TOS control messages here: send unmarked
                            controlLength = 0;
                            continue;
                        }
                        OnSendError(fd, errno, ref retriedIcmp);
                        continue;
                    }
                    if (sent > 0) retriedIcmp = false;
                    offset = (int)Math.Min(total, offset + (long)sent * segmentSize);
                }
            }
        }
        finally
        {
            if (addedRef) _handle.DangerousRelease();
        }
    }

    /// <summary>A failed native send: returns to retry (EINTR; EAGAIN once writable; one stale ICMP report), else throws.</summary>
    private void OnSendError(int fd, int errno, ref bool retriedIcmp)
    {
        switch (errno)
        {
            case EINTR:
                return;
            case EAGAIN:
                WaitFor(fd, POLLOUT); // the descriptor is non-blocking (async use); wait until writable
                return;
            case ECONNREFUSED or ECONNRESET when !retriedIcmp:
                // A pending error report about an earlier datagram, not this one: it is consumed now, so send again.
                retriedIcmp = true;
                Interlocked.Increment(ref _ignoredIcmpErrors);
                return;
            default:
                ThrowIfDisposed();
                throw new SocketException((int)ToSocketError(errno));
        }
    }

    /// <summary>One sendmsg with a UDP_SEGMENT control message; false if the kernel refused GSO (now disabled).</summary>
    private unsafe bool TrySendGso(ReadOnlySpan<byte> chunk, int segmentSize, SocketAddress remote, int ecn)
    {
        int segmentSpace = CmsgSpace(sizeof(ushort));
        byte* control = stackalloc byte[segmentSpace + EcnControlSpace];
        new Span<byte>(control, segmentSpace).Clear();
        CmsgHdr* c = (CmsgHdr*)control;
        c->Length = (nuint)CmsgLen(sizeof(ushort));
        c->Level = SOL_UDP;
        c->Type = UDP_SEGMENT;
        *(ushort*)(control + CmsgHeaderSize) = (ushort)segmentSize;
        // Every segment of one GSO send is cut from the same IP header: the train has one codepoint.
        int controlSpace = segmentSpace + (NeedsEcnControl(ecn) ? WriteEcnControl(control + segmentSpace, remote, ecn) : 0);
        bool droppedEcn = false;

        bool retriedIcmp = false;
        bool addedRef = false;
        try
        {
            _handle.DangerousAddRef(ref addedRef);
            int fd = (int)_handle.DangerousGetHandle();
            fixed (byte* data = chunk)
            fixed (byte* name = remote.Buffer.Span)
            {
                IoVec iov = new() { Base = data, Length = (nuint)chunk.Length };
                MsgHdr msg = new()
                {
                    Name = name,
                    NameLength = (uint)remote.Size,
                    Iov = &iov,
                    IovLength = 1,
                    Control = control,
                    ControlLength = (nuint)controlSpace,
                };
                while (true)
                {
                    nint sent = sendmsg(fd, &msg, 0);
                    if (sent >= 0)
                    {
                        if (droppedEcn) DisablePerDatagramEcn(); // GSO works without it: the kernel refused the TOS message
                        return true;
                    }
                    int errno = Marshal.GetLastPInvokeError();
                    switch (errno)
                    {
                        case EINTR:
                            continue;
                        case EAGAIN:
                            WaitFor(fd, POLLOUT);
                            continue;
                        case EINVAL when controlSpace > segmentSpace:
                            // Maybe the TOS control message: try once more without it before blaming GSO.
                            droppedEcn = true;
                            controlSpace = segmentSpace;
                            msg.ControlLength = (nuint)controlSpace;
                            continue;
                        case EINVAL or ENOPROTOOPT or EIO or EOPNOTSUPP:
                            // No GSO here (old kernel, or a device without checksum offload): fall back for good.
                            GsoFallbackReason = ToSocketError(errno);
                            _gso = false;
                            return false;
                        case ECONNREFUSED or ECONNRESET when !retriedIcmp:
                            retriedIcmp = true;
                            Interlocked.Increment(ref _ignoredIcmpErrors);
                            continue;
                        default:
                            ThrowIfDisposed();
                            throw new SocketException((int)ToSocketError(errno));
                    }
                }
            }
        }
        finally
        {
            if (addedRef) _handle.DangerousRelease();
        }
    }

    // ------------------------------------------------------------------ receive

    /// <summary>
    /// Waits for datagrams and fills <paramref name="batch"/> with as many as are ready (up to its capacity), in one
    /// system call where <see cref="IsBatchingEnabled"/> (else one datagram per call). Returns the datagram count (may
    /// be 0 after a wakeup that carried nothing usable).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed (also while waiting).</exception>
    /// <exception cref="SocketException">The OS failed the receive with something other than an ICMP report.</exception>
    public int Receive(DatagramBatch batch)
    {
        ValidateBatch(batch);
        return _native ? ReceiveNative(batch, wait: true) : ReceivePlain(batch);
    }

    /// <summary>
    /// As <see cref="Receive"/>, but never waits: returns 0 at once when no datagram is queued (recvmmsg with
    /// MSG_DONTWAIT; on the portable path, a FIONREAD check before the receive). For the receive loop's spin.
    /// </summary>
    internal int TryReceive(DatagramBatch batch)
    {
        if (_native) return ReceiveNative(batch, wait: false);
        ThrowIfDisposed();
        if (_socket.Available == 0)
        {
            batch.Clear();
            return 0;
        }
        return ReceivePlain(batch);
    }

    /// <summary>As <see cref="Receive"/>, without blocking a thread while waiting.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(DatagramBatch batch, CancellationToken cancellationToken = default)
    {
        ValidateBatch(batch);
        if (!_native)
        {
            batch.Clear();
            while (true)
            {
                try
                {
                    int length = await _socket.ReceiveFromAsync(batch.MessageMemory(0), SocketFlags.None, batch.RemoteSlot(0), cancellationToken).ConfigureAwait(false);
                    batch.AddPlain(0, length);
                    break;
                }
                catch (SocketException e) when (IsIcmpError(e.SocketErrorCode))
                {
                    Interlocked.Increment(ref _ignoredIcmpErrors);
                }
                catch (SocketException) when (IsDisposed)
                {
                    throw new ObjectDisposedException(nameof(UdpDatagramSocket));
                }
            }
            return batch.Count;
        }

        while (true)
        {
            int count = ReceiveNative(batch, wait: false);
            if (count > 0) return count;
            try
            {
                // Readiness: a zero-byte peek completes when a datagram is queued, without taking it.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e) when (IsIcmpError(e.SocketErrorCode))
            {
                Interlocked.Increment(ref _ignoredIcmpErrors);
            }
            catch (SocketException) when (IsDisposed)
            {
                throw new ObjectDisposedException(nameof(UdpDatagramSocket));
            }
        }
    }

    /// <summary>
    /// The portable path: one ReceiveFrom, one datagram. (It used to drain further datagrams while Socket.Available
    /// said some were queued, but that costs an ioctl per datagram plus one per call, more than it saves.)
    /// </summary>
    private int ReceivePlain(DatagramBatch batch)
    {
        batch.Clear();
        while (true)
        {
            try
            {
                int length = _socket.ReceiveFrom(batch.MessageSlot(0), SocketFlags.None, batch.RemoteSlot(0));
                ThrowIfDisposed(); // the wakeup of Dispose
                batch.AddPlain(0, length);
                break;
            }
            catch (SocketException e) when (IsIcmpError(e.SocketErrorCode) && !IsDisposed)
            {
                Interlocked.Increment(ref _ignoredIcmpErrors);
            }
            catch (SocketException) when (IsDisposed)
            {
                throw new ObjectDisposedException(nameof(UdpDatagramSocket));
            }
        }
        return batch.Count;
    }

    /// <summary>recvmmsg with MSG_WAITFORONE: blocks for the first message (when <paramref name="wait"/>), takes the rest that are ready.</summary>
    private unsafe int ReceiveNative(DatagramBatch batch, bool wait)
    {
        batch.Clear();
        bool addedRef = false;
        try
        {
            _handle.DangerousAddRef(ref addedRef);
            int fd = (int)_handle.DangerousGetHandle();
            int capacity = batch.MessageCapacity;
            int flags = wait ? MSG_WAITFORONE : MSG_WAITFORONE | MSG_DONTWAIT;
            while (true)
            {
                ThrowIfDisposed();
                MMsgHdr* headers = batch.PrepareNative(capacity, wantControl: _receiveControl);
                int messages = recvmmsg(fd, headers, (uint)capacity, flags, null);
                if (messages >= 0)
                {
                    ThrowIfDisposed(); // the wakeup of Dispose (shutdown) returns an empty message
                    batch.CompleteNative(messages);
                    if (batch.Count > 0 || !wait) return batch.Count;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                switch (errno)
                {
                    case EINTR:
                        continue;
                    case EAGAIN:
                        if (!wait) return 0;
                        WaitFor(fd, POLLIN); // the descriptor is non-blocking (async use); wait for readiness
                        continue;
                    case ECONNREFUSED or ECONNRESET:
                        Interlocked.Increment(ref _ignoredIcmpErrors);
                        continue;
                    default:
                        ThrowIfDisposed();
                        throw new SocketException((int)ToSocketError(errno));
                }
            }
        }
        finally
        {
            if (addedRef) _handle.DangerousRelease();
        }
    }

    private unsafe void WaitFor(int fd, short events)
    {
        PollFd p = new() { Fd = fd, Events = events };
        while (true)
        {
            ThrowIfDisposed();
            int r = poll(&p, 1, -1);
            if (r >= 0) return;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR) throw new SocketException((int)ToSocketError(errno));
        }
    }

    // ------------------------------------------------------------------ loop and lifetime

    /// <summary>
    /// Starts a dedicated thread that receives into its own batch and hands every datagram to
    /// <paramref name="receiver"/> until this socket (or the loop) is disposed. One loop per socket.
    /// </summary>
    /// <exception cref="InvalidOperationException">A loop already runs on this socket.</exception>
    public UdpReceiveLoop StartReceiveLoop(IDatagramReceiver receiver, int messageCapacity = 32, string threadName = "udp-receive")
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ThrowIfDisposed();
        var loop = new UdpReceiveLoop(this, receiver, CreateBatch(messageCapacity), threadName);
        if (Interlocked.CompareExchange(ref _loop, loop, null) is not null)
            throw new InvalidOperationException("A receive loop already runs on this socket.");
        loop.Start();
        return loop;
    }

    /// <summary>Closes the socket, wakes any receive waiting on it and waits (briefly) for the receive loop to end.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // On Linux shutdown() wakes every thread blocked on the socket, even an unconnected UDP one (it reports
        // ENOTCONN but still marks the socket shut down), so blocked receives return and see the disposed flag.
        try { _socket.Shutdown(SocketShutdown.Both); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        _socket.Dispose();
        _loop?.WaitForExit(TimeSpan.FromSeconds(5));
    }

    private void ThrowIfDisposed()
    {
        if (_disposed != 0) throw new ObjectDisposedException(nameof(UdpDatagramSocket));
    }

    private void ValidateRemote(SocketAddress remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (remote.Family != AddressFamily)
            throw new ArgumentException($"The remote address is {remote.Family} but the socket is {AddressFamily}; build it with CreateRemoteAddress.", nameof(remote));
    }

    private void ValidateBatch(DatagramBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.AddressFamily != AddressFamily)
            throw new ArgumentException($"The batch is for {batch.AddressFamily} sockets but this socket is {AddressFamily}.", nameof(batch));
        if (_gro && batch.MessageSize < DatagramBatch.GroMessageSize)
            throw new ArgumentException($"With GRO a batch needs {DatagramBatch.GroMessageSize}-byte message slots, not {batch.MessageSize}; use CreateBatch.", nameof(batch));
    }

    internal static bool IsIcmpError(SocketError error) => error is SocketError.ConnectionReset or SocketError.ConnectionRefused;

    private static void SetBufferSize(Socket socket, bool send, int size)
    {
        if (send) socket.SendBufferSize = size;
        else socket.ReceiveBufferSize = size;
        if (!OperatingSystem.IsLinux()) return;
        // Linux caps at net.core.[rw]mem_max unless the process may force it (CAP_NET_ADMIN); try, quietly.
        int granted = send ? socket.SendBufferSize : socket.ReceiveBufferSize;
        if (granted / 2 < size) TrySetInt(socket, SOL_SOCKET, send ? SO_SNDBUFFORCE : SO_RCVBUFFORCE, size);
    }

    private static bool ProbeGso(Socket socket)
    {
        // getsockopt(UDP_SEGMENT) succeeds on kernels that know GSO (4.18+); a device without checksum offload still
        // fails the first send with EIO, which turns GSO off then.
        Span<byte> value = stackalloc byte[sizeof(int)];
        try
        {
            socket.GetRawSocketOption(SOL_UDP, UDP_SEGMENT, value);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool TrySetInt(Socket socket, int level, int name, int value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        MemoryMarshal.Write(bytes, in value); // setsockopt takes a native-endian int
        try
        {
            socket.SetRawSocketOption(level, name, bytes);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void DisableUdpConnectionReset(Socket socket)
    {
        // Windows reports an ICMP port unreachable as WSAECONNRESET on the next receive; SIO_UDP_CONNRESET off stops it.
        const int SIO_UDP_CONNRESET = unchecked((int)0x9800000C);
        try { socket.IOControl(SIO_UDP_CONNRESET, new byte[4], null); }
        catch (SocketException) { }
        catch (PlatformNotSupportedException) { }
    }
}
