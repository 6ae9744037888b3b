using System.Net;
using System.Net.Sockets;
using Transport.Core.Time;
using Transport.Core.Udp;
using Transport.Quic.Connection;

namespace Transport.Quic.Endpoint;

/// <summary>
/// The I/O driver of a <see cref="QuicEndpointCore"/> over one <see cref="UdpDatagramSocket"/>: a receive-loop thread
/// hands datagrams to the core under a lock; a driver thread fires timers from <see cref="QuicEndpointCore.NextTimeout"/>,
/// collects datagrams from <see cref="QuicEndpointCore.PollTransmit"/> and sends them outside the lock (trains of equal
/// size and ECN codepoint to one peer through <see cref="UdpDatagramSocket.SendSegmentsWithEcn"/>), holding a datagram until its
/// <c>earliestSendTime</c>. The core never sleeps. The application touches the core and its connections only inside
/// <see cref="Invoke{T}(Func{QuicEndpointCore, T})"/> (under the same lock), and waits for progress with <see cref="WaitForActivity"/>.
/// </summary>
public sealed class QuicEndpoint : IDisposable
{
    private const int MaxTrainBytes = 64 * 1024;
    private const int MaxDatagramsPerFlush = 64;
    private const int MaxDatagramsPerTurn = 16; // one connection's datagrams per PollTransmitBatch in Collect
    private const int MaxFlushRounds = 8; // collections one FlushFromCaller makes for other threads' requests before it hands over

    /// <summary>
    /// A datagram the pacer releases at most this much later is sent now: the driver cannot sleep less than a millisecond
    /// (a shorter WaitOne returns at once, so it used to spin with both locks held until the time came), and one timer
    /// granularity (RFC 9002 §6.1.2: kGranularity, 1 ms) of early release is the burst pacing allows for timer slack (§7.7).
    /// </summary>
    private static readonly TimeSpan PacingTolerance = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// The longest the driver sleeps with no deadline due. Every path that changes the core (receive batches,
    /// <see cref="Invoke{T}(Func{QuicEndpointCore, T})"/>) wakes it when a deadline moved earlier, so this is only a
    /// safety net; each wake scans every connection (timers, transmit, events), so with 1,000 idle connections a 100 ms
    /// cap cost about 60 CPU ms/s per endpoint (bench tour, scale section).
    /// </summary>
    private static readonly TimeSpan MaxDriverWait = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private readonly object _sendGate = new(); // owns _out, _pending and the socket's send side; taken before _gate, never after
    private Instant _driverWakeAt = Instant.MaxValue; // under _gate: when the driver thread next looks at the timers
    private readonly QuicEndpointCore _core;
    private readonly UdpDatagramSocket _socket;
    private readonly IClock _clock;
    private readonly UdpReceiveLoop _receiveLoop;
    private readonly Thread _driver;
    private readonly AutoResetEvent _wake = new(false);
    private readonly AutoResetEvent _activity = new(false);
    private readonly Dictionary<SocketAddress, IPEndPoint> _addressCache = new();
    private readonly Dictionary<IPEndPoint, SocketAddress> _remoteCache = new();
    private readonly byte[] _out = new byte[MaxDatagramsPerFlush * 1500 + 65536];
    private readonly (int Offset, int Length, IPEndPoint Destination, byte Ecn)[] _pending = new (int, int, IPEndPoint, byte)[MaxDatagramsPerFlush];
    private readonly IPEndPoint?[] _pendingSource = new IPEndPoint?[MaxDatagramsPerFlush]; // TransmitInfo.Source of each (null: the default socket)
    private readonly int[] _batchLengths = new int[MaxDatagramsPerFlush];                 // one PollTransmitBatch's datagrams (under _gate)
    private readonly TransmitInfo[] _batchInfos = new TransmitInfo[MaxDatagramsPerFlush];
    private IPEndPoint? _heldSource;
    private volatile LocalSocket[] _moreSockets = [];  // further local addresses (a server's preferred address), copy-on-write
    private byte[]? _heldBuffer;    // reused: where a datagram the pacer released for later waits
    private bool _held;             // _heldBuffer holds such a datagram
    private int _heldLength;
    private IPEndPoint? _heldDestination;
    private Instant _heldUntil;
    private byte _heldEcn;
    private volatile bool _disposed;
    private int _flushRequested;   // 1: something may be ready to send that no thread has collected yet (see FlushFromCaller)
    private int _activityWaiters;  // threads in WaitForActivity: _activity is set only when someone waits
    private readonly bool _isServer; // ServerConnectionOptions were given (for LatencyProbe)

    /// <summary>Binds a socket as <paramref name="socketOptions"/> say and starts the receive and driver threads.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="SocketException">The socket could not be bound.</exception>
    public QuicEndpoint(QuicEndpointOptions options, UdpSocketOptions socketOptions, IClock? clock = null)
    {
        _core = new QuicEndpointCore(options);
        _isServer = options.ServerConnectionOptions is not null;
        _clock = clock ?? SystemClock.Instance;
        _socket = new UdpDatagramSocket(socketOptions);
        _core.LocalMaxUdpPayload = LocalMaxUdpPayload;
        _receiveLoop = _socket.StartReceiveLoop(new Receiver(this), threadName: "quic-endpoint-receive");
        _driver = new Thread(DriverLoop) { IsBackground = true, Name = "quic-endpoint-driver" };
        _driver.Start();
    }

    /// <summary>The bound local address.</summary>
    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>
    /// The upper bound of a new connection's path MTU discovery: the route's MTU toward <paramref name="remote"/> less
    /// the headers (<see cref="UdpPathMtu"/>; 65507 on IPv4 loopback, 1472 on IPv4 Ethernet). A socket that could not
    /// be made Don't-Fragment gets 1200, so its connections never probe: a fragmented probe would pass and teach a
    /// size the path does not carry whole (RFC 9000 §14). 0: unknown, the connection's own ceiling applies.
    /// </summary>
    private int LocalMaxUdpPayload(IPEndPoint remote)
    {
        if (!_socket.IsDontFragmentEnabled) return 1200;
        return UdpPathMtu.TryGetMaxUdpPayload(remote, out int payload) ? payload : 0;
    }

    /// <summary>
    /// Binds one more socket (a server's preferred address, RFC 9000 §9.6) and receives on it: its datagrams go to
    /// <see cref="QuicEndpointCore.HandleDatagramAt"/> with its bound address, and datagrams whose
    /// <see cref="TransmitInfo.Source"/> is that address leave from it. Returns the bound address.
    /// </summary>
    /// <exception cref="SocketException">The address could not be bound.</exception>
    public IPEndPoint AddLocalEndPoint(UdpSocketOptions socketOptions)
    {
        ArgumentNullException.ThrowIfNull(socketOptions);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var socket = new UdpDatagramSocket(socketOptions);
        var local = socket.LocalEndPoint;
        if (local.Address.IsIPv4MappedToIPv6) local = new IPEndPoint(local.Address.MapToIPv4(), local.Port);
        var loop = socket.StartReceiveLoop(new Receiver(this, local), threadName: "quic-endpoint-receive-" + local.Port);
        loop.SpinTime = _receiveLoop.SpinTime;
        lock (_sendGate) _moreSockets = [.. _moreSockets, new LocalSocket(socket, loop, local, new Dictionary<IPEndPoint, SocketAddress>())];
        return local;
    }

    private sealed record LocalSocket(UdpDatagramSocket Socket, UdpReceiveLoop Loop, IPEndPoint Local, Dictionary<IPEndPoint, SocketAddress> Remotes);

    /// <summary>
    /// Busy-poll on the receive threads before they block (<see cref="UdpReceiveLoop.SpinTime"/>): latency for CPU.
    /// Spins only while the endpoint has connections. Zero (default): off. Set it before traffic starts (a socket added
    /// later by <see cref="AddLocalEndPoint"/> takes the value of that moment).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or more than <see cref="UdpReceiveLoop.MaxSpinTime"/>.</exception>
    public TimeSpan ReceiveSpinTime
    {
        get => _receiveLoop.SpinTime;
        set
        {
            UdpReceiveLoop.ValidateSpinTime(value, nameof(ReceiveSpinTime));
            _receiveLoop.SpinTime = value;
            foreach (var more in _moreSockets) more.Loop.SpinTime = value;
        }
    }

    /// <summary>Diagnostics: receive batches that a spin (<see cref="ReceiveSpinTime"/>) took, of <see cref="ReceiveCounters"/>' batches.</summary>
    internal long SpinBatches => _receiveLoop.SpinBatches;

    /// <summary>Datagrams the socket failed to send (counted, not thrown: the protocol recovers them as losses).</summary>
    public long SendErrors { get; private set; }

    /// <summary>Diagnostics: receive system calls that returned datagrams, and the datagrams (after GRO splitting).</summary>
    internal (long Batches, long Datagrams) ReceiveCounters => (_receiveLoop.Batches, _receiveLoop.DatagramsReceived);

    /// <summary>Diagnostics: send system calls (one datagram or one GSO train each) and datagrams sent.</summary>
    internal (long Calls, long Datagrams) SendCounters => (Interlocked.Read(ref _sendCalls), Interlocked.Read(ref _datagramsSent));

    private long _sendCalls, _datagramsSent;

    /// <summary>
    /// Runs <paramref name="action"/> on the core under the endpoint's lock (connect, accept, poll events, stream
    /// reads and writes), then wakes the driver to send what it produced.
    /// </summary>
    public T Invoke<T>(Func<QuicEndpointCore, T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Invoke(action, static (core, a) => a(core));
    }

    /// <summary>
    /// <see cref="Invoke{T}(Func{QuicEndpointCore, T})"/> with a <paramref name="state"/> argument, so a static lambda
    /// needs no closure and may take a span.
    /// </summary>
    /// <remarks>
    /// The action may drive any connection, so afterwards every connection is drained and asked to send
    /// (<see cref="QuicEndpointCore.DrainAllEvents"/>, a scan): the library's own API uses an O(1) form that names the
    /// connection it drove.
    /// </remarks>
    public T Invoke<TState, T>(TState state, Func<QuicEndpointCore, TState, T> action)
        where TState : allows ref struct =>
        InvokeCore(AllConnections, state, action);

    /// <summary>
    /// <see cref="Invoke{TState, T}(TState, Func{QuicEndpointCore, TState, T})"/> for an action that drives at most
    /// <paramref name="target"/> (null: no connection; connections it creates mark themselves): only that connection is
    /// drained and asked to send afterwards (<see cref="QuicEndpointCore.MarkActive"/>), not every idle one.
    /// </summary>
    internal T Invoke<TState, T>(QuicConnectionCore? target, TState state, Func<QuicEndpointCore, TState, T> action)
        where TState : allows ref struct =>
        InvokeCore(target ?? NoConnection, state, action);

    private static readonly object AllConnections = new(), NoConnection = new();

    private T InvokeCore<TState, T>(object target, TState state, Func<QuicEndpointCore, TState, T> action)
        where TState : allows ref struct
    {
        ArgumentNullException.ThrowIfNull(action);
        ObjectDisposedException.ThrowIf(_disposed, this);
        T result;
        lock (_gate)
        {
            // Events of datagrams handled since the last callback first (the receive thread releases the lock between a
            // datagram and its batch's callback), so the action sees the application state agree with the core's.
            RunActivityCallback();
            try
            {
                result = action(_core, state);
            }
            finally
            {
                if (ReferenceEquals(target, AllConnections)) _core.DrainAllEvents();
                else if (target is QuicConnectionCore connection) _core.MarkActive(connection);
                RunActivityCallback();
            }
        }
        if (ReferenceEquals(t_corked, this)) t_corkedFlushes = true; // sent when the receive thread's resumed code yields
        else FlushFromCaller();
        return result;
    }

    [ThreadStatic] private static QuicEndpoint? t_corked; // this thread is a receive thread of that endpoint resuming waits (ReceiveBatchHooks)
    [ThreadStatic] private static bool t_corkedFlushes;   // an Invoke on it left its flush to the end of that

    /// <summary>
    /// Sends what the core has ready on the calling thread (an application's write, the receive thread after a batch)
    /// instead of waking the driver thread for it: one thread hop less per datagram. The driver is woken only when a
    /// timer moved earlier than it planned to look, when a datagram is held for the pacer, or when another thread is
    /// sending at this moment (never waits for it: this may run under <see cref="_gate"/> inside a callback).
    /// </summary>
    private void FlushFromCaller()
    {
        if (_disposed) return;
        // Flat combining instead of a driver wake-up: the request is published first; a thread that finds the send side
        // busy leaves, and the sender collects again after it let go (it checks the request after releasing). Waking
        // the driver for this cost a futex wake, a context switch and a third thread on the lock for every ACK batch and
        // application write that met another sender (6 % of bulk CPU on the driver thread).
        Interlocked.Exchange(ref _flushRequested, 1);
        bool wakeDriver = false;
        for (int round = 0; ; round++)
        {
            if (round == MaxFlushRounds)
            {
                wakeDriver = true; // others keep asking: the driver takes over, this thread goes back to its caller
                break;
            }
            if (!Monitor.TryEnter(_sendGate)) break; // the holder sees the request once it leaves (below, or the driver's loop)
            try
            {
                Volatile.Write(ref _flushRequested, 0); // this collection covers every request made so far
                int count;
                lock (_gate)
                {
                    count = Collect(_clock.Now);
                    if (count > 0) RunActivityCallback();
                    wakeDriver = count == MaxDatagramsPerFlush || _held || (_core.NextTimeout() is { } t && t < _driverWakeAt);
                }
                SendCollected(count);
            }
            finally
            {
                Monitor.Exit(_sendGate);
            }
            Interlocked.MemoryBarrier(); // the read below must not pass the release of _sendGate
            if (wakeDriver || _disposed || Volatile.Read(ref _flushRequested) == 0) break;
        }
        if (wakeDriver) _wake.Set();
    }

    /// <summary>
    /// Called under the lock after each batch of received datagrams, after timers fired, after datagrams were collected
    /// for sending, and before and after each <see cref="Invoke{T}(Func{QuicEndpointCore, T})"/>: the place to drain
    /// <see cref="QuicEndpointCore.PollEvent"/> without a thread hop. It must not block; exceptions it throws are
    /// counted in <see cref="CallbackErrors"/> and swallowed (they must not stop the I/O threads).
    /// </summary>
    public Action<QuicEndpointCore>? ActivityCallback { get; set; }

    /// <summary>
    /// Run by a receive thread around the end of each receive batch (the <see cref="ActivityCallback"/> and the flush):
    /// <c>Starting</c> before, <c>Ended</c> after, outside every lock. The public API uses them to complete the waits the
    /// batch released on that thread (<see cref="QuicListenerOptions.InlineCompletions"/>). Null: nothing runs.
    /// </summary>
    internal (Action Starting, Action Ended)? ReceiveBatchHooks { get; set; }

    /// <summary>Exceptions thrown by <see cref="ActivityCallback"/> (0 in a healthy run).</summary>
    public long CallbackErrors { get; private set; }

    /// <summary>Under the lock.</summary>
    private void RunActivityCallback()
    {
        if (_disposed || ActivityCallback is not { } callback) return;
        try
        {
            callback(_core);
        }
        catch (Exception)
        {
            CallbackErrors++;
        }
    }

    /// <summary>Opens a client connection to <paramref name="remote"/> (see <see cref="QuicEndpointCore.Connect"/>).</summary>
    public QuicConnectionCore Connect(ConnectionOptions options, IPEndPoint remote) =>
        Invoke<object?, QuicConnectionCore>(null, null, (core, _) => core.Connect(options, remote, _clock.Now)); // it marks the new connection itself

    /// <summary>Waits until datagrams were received or timers fired (or <paramref name="timeout"/> passed); true on activity.</summary>
    public bool WaitForActivity(TimeSpan timeout)
    {
        Interlocked.Increment(ref _activityWaiters);
        try
        {
            return _activity.WaitOne(timeout);
        }
        finally
        {
            Interlocked.Decrement(ref _activityWaiters);
        }
    }

    /// <summary>
    /// Wakes <see cref="WaitForActivity"/> callers. Setting the event when nobody waits cost a lock in the runtime's wait
    /// subsystem per receive batch; a waiter that arrives just after this check waits at most its own timeout (it polls).
    /// </summary>
    private void SignalActivity()
    {
        if (Volatile.Read(ref _activityWaiters) > 0) _activity.Set();
    }

    private IPEndPoint ToEndPoint(SocketAddress address)
    {
        // The last sender first: a receive batch is mostly one peer's train (a hash of the address per datagram was 1 %).
        if (_lastAddress is { } last && last.Size == address.Size
            && last.Buffer.Span.Slice(0, last.Size).SequenceEqual(address.Buffer.Span.Slice(0, address.Size)))
            return _lastEndPoint!;
        IPEndPoint endPoint = LookUpEndPoint(address);
        _lastAddress ??= new SocketAddress(address.Family, address.Buffer.Length);
        if (_lastAddress.Buffer.Length < address.Size || _lastAddress.Family != address.Family)
            _lastAddress = new SocketAddress(address.Family, address.Buffer.Length);
        address.Buffer.Span.Slice(0, address.Size).CopyTo(_lastAddress.Buffer.Span);
        _lastAddress.Size = address.Size;
        _lastEndPoint = endPoint;
        return endPoint;
    }

    private SocketAddress? _lastAddress; // under _gate: the last address ToEndPoint converted, and its result
    private IPEndPoint? _lastEndPoint;

    private IPEndPoint LookUpEndPoint(SocketAddress address)
    {
        if (_addressCache.TryGetValue(address, out var endPoint)) return endPoint;
        if (_addressCache.Count >= 4096) _addressCache.Clear();
        endPoint = UdpDatagramSocket.ToIPEndPoint(address);
        // Dual-mode sockets report IPv4 peers as IPv4-mapped IPv6: keep the IPv4 form so it matches the application's.
        if (endPoint.Address.IsIPv4MappedToIPv6) endPoint = new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port);
        var key = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span.Slice(0, address.Size).CopyTo(key.Buffer.Span);
        _addressCache[key] = endPoint;
        return endPoint;
    }

    private SocketAddress ToSocketAddress(IPEndPoint endPoint)
    {
        if (_remoteCache.TryGetValue(endPoint, out var address)) return address;
        if (_remoteCache.Count >= 4096) _remoteCache.Clear();
        address = _socket.CreateRemoteAddress(endPoint);
        _remoteCache[endPoint] = address;
        return address;
    }

    private LocalSocket? FindLocalSocket(IPEndPoint source)
    {
        foreach (var s in _moreSockets) if (Connection.PathState.SameEndPoint(s.Local, source)) return s;
        return null;
    }

    private static SocketAddress ToSocketAddress(LocalSocket socket, IPEndPoint endPoint)
    {
        if (socket.Remotes.TryGetValue(endPoint, out var address)) return address;
        if (socket.Remotes.Count >= 4096) socket.Remotes.Clear();
        address = socket.Socket.CreateRemoteAddress(endPoint);
        socket.Remotes[endPoint] = address;
        return address;
    }

    private sealed class Receiver(QuicEndpoint owner, IPEndPoint? local = null) : IDatagramReceiver
    {
        /// <summary>Nothing can arrive for an endpoint without connections but a new handshake: no spin then.</summary>
        public bool SpinAllowed
        {
            get
            {
                if (owner._disposed) return false;
                lock (owner._gate) return owner._core.ConnectionCount > 0;
            }
        }

        public void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress remote, DatagramMetadata metadata)
        {
            LatencyProbe.Mark(owner._isServer, LatencyProbe.Received);
            lock (owner._gate)
            {
                if (local is null) owner._core.HandleDatagram(owner._clock.Now, owner.ToEndPoint(remote), datagram, (byte)metadata.EcnCodepoint);
                else owner._core.HandleDatagramAt(owner._clock.Now, owner.ToEndPoint(remote), local, datagram, (byte)metadata.EcnCodepoint);
            }
        }

        public void OnBatchCompleted()
        {
            if (owner.ReceiveBatchHooks is not { } hooks)
            {
                CompleteBatch();
                return;
            }
            hooks.Starting();
            try
            {
                CompleteBatch();
            }
            finally
            {
                // Outside every lock, on this thread. What the code it resumes writes is sent once, after it yielded back
                // (a pipelined client's dozen requests in one datagram, not a send system call each).
                t_corked = owner;
                t_corkedFlushes = false;
                try
                {
                    hooks.Ended();
                }
                finally
                {
                    t_corked = null;
                }
                if (t_corkedFlushes) owner.FlushFromCaller();
            }
        }

        private void CompleteBatch()
        {
            if (owner.ActivityCallback is not null)
            {
                lock (owner._gate) owner.RunActivityCallback();
            }
            LatencyProbe.Mark(owner._isServer, LatencyProbe.Dispatched);
            owner.SignalActivity();
            owner.FlushFromCaller(); // ACKs and what they released go out from this thread
            LatencyProbe.Mark(owner._isServer, LatencyProbe.ReceiveFlushed);
        }
    }

    private void DriverLoop()
    {
        try
        {
            while (!_disposed)
            {
                int count;
                Instant? wakeAt;
                TimeSpan wait;
                lock (_sendGate)
                {
                    Volatile.Write(ref _flushRequested, 0); // this collection covers what callers asked for so far
                    lock (_gate)
                    {
                        Instant now = _clock.Now;
                        bool fired = false;
                        if (_core.NextTimeout() is { } t && t <= now)
                        {
                            _core.HandleTimeout(now);
                            SignalActivity();
                            fired = true;
                        }
                        count = Collect(now);
                        if (fired || count > 0) RunActivityCallback();
                        wakeAt = _core.NextTimeout();
                        if (_held && (wakeAt is null || _heldUntil < wakeAt.Value)) wakeAt = _heldUntil;
                        Instant after = _clock.Now;
                        wait = wakeAt is { } w ? (w > after ? w - after : TimeSpan.Zero) : MaxDriverWait;
                        if (wait > MaxDriverWait) wait = MaxDriverWait;
                        // Whole milliseconds, rounded up: WaitOne truncates, and a wait under 1 ms returned at once, so the
                        // driver spun (both locks held) until a timer was due; a timer may fire up to 1 ms late (kGranularity).
                        if (wait > TimeSpan.Zero) wait = TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds));
                        _driverWakeAt = count == MaxDatagramsPerFlush ? Instant.Zero : after + wait;
                    }
                    SendCollected(count);
                }
                if (count == MaxDatagramsPerFlush) continue; // more may be waiting
                Interlocked.MemoryBarrier(); // see FlushFromCaller: a caller that found _sendGate taken left its request here
                if (Volatile.Read(ref _flushRequested) != 0) continue;
                if (wait > TimeSpan.Zero) _wake.WaitOne(wait);
            }
        }
        catch (ObjectDisposedException) when (_disposed)
        {
        }
    }

    /// <summary>Under the lock: moves ready datagrams into <see cref="_out"/>; stops at a datagram paced for later (held).</summary>
    private int Collect(Instant now)
    {
        int count = 0, offset = 0;
        if (_held)
        {
            if (_heldUntil > now + PacingTolerance) return 0;
            _heldBuffer.AsSpan(0, _heldLength).CopyTo(_out);
            _pendingSource[count] = _heldSource;
            _pending[count++] = (0, _heldLength, _heldDestination!, _heldEcn);
            offset = _heldLength;
            _held = false;
            _heldDestination = null;
        }
        while (count < MaxDatagramsPerFlush && _out.Length - offset >= 65536)
        {
            // Up to 16 datagrams of one connection per call: their 1-RTT header protection in one cipher call
            // (PollTransmitBatch); 16, not 64, so that connections still take turns within a flush (consecutive turns of
            // one connection still join into one GSO train).
            var span = _out.AsSpan(offset);
            int batch = _core.PollTransmitBatch(now, span, _batchLengths.AsSpan(0, Math.Min(MaxDatagramsPerTurn, MaxDatagramsPerFlush - count)), _batchInfos, PacingTolerance);
            if (batch == 0) break;
            bool held = false;
            for (int k = 0; k < batch; k++)
            {
                int n = _batchLengths[k];
                TransmitInfo info = _batchInfos[k];
                if (info.EarliestSendTime > now + PacingTolerance)
                {
                    // Only the batch's last datagram can be paced for later (PollTransmitBatch stops after it).
                    _heldBuffer ??= new byte[65536]; // once: a new 64 KiB array per pacing hold cost ~7 % of bulk CPU (zeroing, GC)
                    _out.AsSpan(offset, n).CopyTo(_heldBuffer);
                    _held = true;
                    _heldLength = n;
                    _heldDestination = info.Destination;
                    _heldSource = info.Source;
                    _heldUntil = info.EarliestSendTime;
                    _heldEcn = info.Ecn;
                    held = true;
                    break;
                }
                _pendingSource[count] = info.Source;
                _pending[count++] = (offset, n, info.Destination, info.Ecn);
                offset += n;
            }
            if (held) break;
        }
        return count;
    }

    /// <summary>Outside the lock: sends runs of equal-size datagrams to one destination as one train (GSO where available).</summary>
    private void SendCollected(int count)
    {
        if (count > 0) LatencyProbe.Mark(_isServer, LatencyProbe.Collected);
        int i = 0;
        while (i < count)
        {
            var (offset, length, destination, ecn) = _pending[i];
            IPEndPoint? source = _pendingSource[i];
            int j = i + 1;
            int total = length;
            // A train: same destination, same source, same size, same ECN codepoint (one GSO send shares one IP header),
            // contiguous; the last may be shorter.
            while (j < count && _pending[j].Destination.Equals(destination) && Equals(_pendingSource[j], source) && _pending[j].Ecn == ecn && _pending[j - 1].Length == length
                   && total + _pending[j].Length <= MaxTrainBytes && _pending[j].Length <= length)
            {
                total += _pending[j].Length;
                j++;
                if (_pending[j - 1].Length < length) break;
            }
            try
            {
                SocketAddress remote;
                UdpDatagramSocket socket = _socket;
                if (source is not null && FindLocalSocket(source) is { } more)
                {
                    socket = more.Socket;
                    lock (_gate) remote = ToSocketAddress(more, destination);
                }
                else
                {
                    lock (_gate) remote = ToSocketAddress(destination);
                }
                if (j - i == 1) socket.SendWithEcn(_out.AsSpan(offset, length), remote, ecn);
                else socket.SendSegmentsWithEcn(_out.AsSpan(offset, total), length, remote, ecn);
                _sendCalls++; // under _sendGate
                _datagramsSent += j - i;
            }
            catch (SocketException)
            {
                SendErrors++;
            }
            catch (ArgumentException)
            {
                SendErrors++; // an address of another family than the socket's
            }
            i = j;
        }
        if (count > 0) LatencyProbe.Mark(_isServer, LatencyProbe.Sent);
    }

    /// <summary>
    /// Closes every connection (<see cref="QuicEndpointCore.Shutdown"/>) and waits up to <paramref name="timeout"/> for
    /// them to terminate; true when all did.
    /// </summary>
    public bool Shutdown(TimeSpan timeout, ulong errorCode = 0, string? reason = null)
    {
        Invoke<object?, int>(null, null, (core, _) => { core.Shutdown(errorCode, reason); return 0; }); // drains every connection itself
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Invoke<object?, bool>(null, null, static (core, _) => core.IsShutdownComplete)) return true;
            WaitForActivity(TimeSpan.FromMilliseconds(20));
        }
        return Invoke<object?, bool>(null, null, static (core, _) => core.IsShutdownComplete);
    }

    /// <summary>Stops both threads, closes the socket and disposes the core and its connections (sends no close: call <see cref="Shutdown"/> first).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _wake.Set();
        _socket.Dispose(); // stops the receive loop
        foreach (var more in _moreSockets) more.Socket.Dispose();
        _driver.Join(TimeSpan.FromSeconds(5));
        _receiveLoop.Dispose();
        foreach (var more in _moreSockets) more.Loop.Dispose();
        lock (_gate) _core.Dispose();
        _wake.Dispose();
        _activity.Dispose();
    }
}
