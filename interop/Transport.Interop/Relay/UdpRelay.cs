using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Transport.Interop.Relay;

/// <summary>
/// A real-time UDP relay between a client and a server on loopback that reproduces the QUIC Interop Runner's network
/// simulator scenarios (<see cref="RelayScenario"/>): the client sends to <see cref="ListenEndPoint"/>, the relay
/// forwards to the server from one upstream socket per client source address:port (a NAT mapping), and forwards the
/// server's replies back to that client. Optionally writes pcaps of both sides. See Relay/README.md.
/// </summary>
/// <remarks>
/// Four threads: one receives from clients, one from the server (over every upstream socket), and one per direction
/// forwards each datagram at its due time (sleep, then spin for the last <see cref="UdpRelayOptions.SpinThreshold"/>).
/// <see cref="Dispose"/> stops and joins them all and closes every socket; so does the end of
/// <see cref="UdpRelayOptions.Lifetime"/> (the threads end; sockets close at <see cref="Dispose"/>).
/// </remarks>
public sealed class UdpRelay : IDisposable
{
    private const int PollMicroseconds = 50_000;
    private const int MaxDatagram = 65536;

    private readonly UdpRelayOptions _options;
    private readonly TextWriter? _log;
    private readonly RelayScenario _scenario;
    private readonly IPEndPoint _server;
    private readonly SocketAddress _serverAddress;
    private readonly Socket _listen;
    private readonly Socket? _listenPreferred;        // the second client-facing port (a preferred address), or null
    private readonly IPEndPoint? _serverPreferred;
    private readonly SocketAddress? _serverPreferredAddress;
    private int _listenPreferredTrafficClass;
    private readonly Socket _wakeReceiver;
    private readonly Socket _wakeSender;
    private readonly SocketAddress _wakeAddress;
    private readonly RelayLink _toServer;
    private readonly RelayLink _toClient;
    private readonly PcapWriter? _clientPcap;
    private readonly PcapWriter? _serverPcap;
    private readonly long _startTicks;
    private readonly long _startUnixMicroseconds;
    private readonly long _deadlineTicks;
    private readonly long _spinTicks;
    private readonly long _maxSleepTicks;
    private readonly Thread[] _threads;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _runningThreads;
    private int _realTimeThreads;

    private readonly object _mappingLock = new();
    private readonly Dictionary<SocketAddress, NatMapping> _mappings = new();
    private UpstreamBinding[] _bindings = [];
    private readonly List<IPAddress> _epochAddresses = new();
    private readonly Random _rebindRandom;
    private int _listenTrafficClass;

    private bool _stop;
    private readonly CubicCrossFlow? _cross;
    private int _disposed;

    /// <summary>Opens the sockets and pcaps and starts forwarding. The scenario's clock (blackhole, rebinding) starts now.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="SocketException">A socket could not be bound.</exception>
    public UdpRelay(UdpRelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _log = options.Log is null ? null : TextWriter.Synchronized(options.Log);
        _scenario = options.Scenario ?? throw new ArgumentException("Scenario must not be null.", nameof(options));
        _scenario.Validate();
        _server = options.ServerEndPoint ?? throw new ArgumentException("ServerEndPoint is required.", nameof(options));
        ArgumentNullException.ThrowIfNull(options.ListenEndPoint);
        if (options.SpinThreshold < TimeSpan.Zero) throw new ArgumentException("SpinThreshold must not be negative.", nameof(options));
        if (options.Lifetime is { } life && life <= TimeSpan.Zero) throw new ArgumentException("Lifetime must be positive.", nameof(options));
        IPAddress upstream = options.UpstreamAddress
            ?? (_server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback);
        if (upstream.AddressFamily != _server.AddressFamily)
            throw new ArgumentException($"UpstreamAddress {upstream} and ServerEndPoint {_server} are of different address families.", nameof(options));
        if (_scenario.RebindAddress && _server.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException("RebindAddress works with IPv4 only (it moves the client within 127.0.0.0/8), as in the runner.", nameof(options));
        _epochAddresses.Add(upstream);
        _serverAddress = _server.Serialize();
        _rebindRandom = new Random(unchecked(options.Seed * 7919 + 3));

        var sockets = new List<IDisposable>();
        try
        {
            _listen = NewSocket(options.ListenEndPoint);
            sockets.Add(_listen);
            ListenEndPoint = (IPEndPoint)_listen.LocalEndPoint!;
            if (options.PreferredListenEndPoint is { } preferredListen)
            {
                _serverPreferred = options.PreferredServerEndPoint
                    ?? throw new ArgumentException("PreferredServerEndPoint is required with PreferredListenEndPoint.", nameof(options));
                if (_serverPreferred.AddressFamily != _server.AddressFamily)
                    throw new ArgumentException("PreferredServerEndPoint and ServerEndPoint are of different address families.", nameof(options));
                _serverPreferredAddress = _serverPreferred.Serialize();
                _listenPreferred = NewSocket(preferredListen);
                sockets.Add(_listenPreferred);
                PreferredListenEndPoint = (IPEndPoint)_listenPreferred.LocalEndPoint!;
            }
            _wakeReceiver = NewSocket(new IPEndPoint(IPAddress.Loopback, 0));
            sockets.Add(_wakeReceiver);
            // Fail here, not in the receive thread, when upstream sockets cannot be marked (the wake socket only receives).
            if (options.UpstreamSocketMark != 0) RelaySocket.SetMark(_wakeReceiver, options.UpstreamSocketMark);
            _wakeSender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            sockets.Add(_wakeSender);
            _wakeAddress = _wakeReceiver.LocalEndPoint!.Serialize();
            if (options.ClientPcapPath is { } cp)
            {
                _clientPcap = new PcapWriter(cp);
                sockets.Add(_clientPcap);
            }
            if (options.ServerPcapPath is { } sp) _serverPcap = new PcapWriter(sp);
        }
        catch
        {
            foreach (var s in sockets) s.Dispose();
            throw;
        }

        _startTicks = Stopwatch.GetTimestamp();
        _startUnixMicroseconds = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
        _deadlineTicks = options.Lifetime is { } lifetime ? _startTicks + RelayLink.ToStopwatchTicks(lifetime) : long.MaxValue;
        _spinTicks = RelayLink.ToStopwatchTicks(options.SpinThreshold);
        _maxSleepTicks = RelayLink.ToStopwatchTicks(TimeSpan.FromMilliseconds(50));

        _toServer = new RelayLink(_scenario, _scenario.ToServer, unchecked(options.Seed * 2 + 1), _startTicks,
            ListenEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && !ListenEndPoint.Address.IsIPv4MappedToIPv6, Statistics.ToServer);
        _toClient = new RelayLink(_scenario, _scenario.ToClient, unchecked(options.Seed * 2 + 2), _startTicks,
            _server.AddressFamily == AddressFamily.InterNetworkV6, Statistics.ToClient);

        _threads =
        [
            new Thread(ClientReceiveLoop) { IsBackground = true, Name = "relay-client-rx" },
            new Thread(ServerReceiveLoop) { IsBackground = true, Name = "relay-server-rx" },
            new Thread(() => ForwardLoop(toServer: true)) { IsBackground = true, Name = "relay-to-server" },
            new Thread(() => ForwardLoop(toServer: false)) { IsBackground = true, Name = "relay-to-client" },
        ];
        if (options.TcpCubicCrossTraffic)
        {
            _cross = new CubicCrossFlow(_toClient, _scenario.Delay);
            _threads = [.. _threads, new Thread(CrossTrafficLoop) { IsBackground = true, Name = "relay-cross-traffic" }];
        }
        _runningThreads = _threads.Length;
        foreach (var t in _threads) t.Start();
    }

    /// <summary>The address the client must send to (the relay's client-facing socket).</summary>
    public IPEndPoint ListenEndPoint { get; }

    /// <summary>The real server.</summary>
    public IPEndPoint ServerEndPoint => _server;

    /// <summary>The second client-facing address (forwarded to the server's preferred address), or null.</summary>
    public IPEndPoint? PreferredListenEndPoint { get; }

    /// <summary>The scenario being reproduced.</summary>
    public RelayScenario Scenario => _scenario;

    /// <summary>Counters per direction, and the forwarding lateness (timing precision).</summary>
    public RelayStatistics Statistics { get; } = new();

    /// <summary>Completes when every relay thread has ended (lifetime over, or disposed).</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>The source addresses the server has seen so far (every upstream socket, in creation order).</summary>
    public IReadOnlyList<IPEndPoint> UpstreamEndPoints
    {
        get
        {
            var bindings = Volatile.Read(ref _bindings);
            var result = new IPEndPoint[bindings.Length];
            for (int i = 0; i < bindings.Length; i++) result[i] = bindings[i].LocalEndPoint;
            return result;
        }
    }

    /// <summary>How many of the four relay threads run under real-time priority (<see cref="UdpRelayOptions.RealTimePriority"/>).</summary>
    public int RealTimeThreads => Volatile.Read(ref _realTimeThreads);

    /// <summary>Time since the relay started (the scenario's clock).</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_startTicks);

    private static Socket NewSocket(IPEndPoint bind)
    {
        var socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (bind.AddressFamily == AddressFamily.InterNetworkV6 && bind.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.ReceiveBufferSize = 4 << 20;
            socket.SendBufferSize = 4 << 20;
            socket.Bind(bind);
            socket.Blocking = false;
            RelaySocket.EnableTrafficClassReceive(socket);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private long UnixMicroseconds(long ticks) => _startUnixMicroseconds + (long)((ticks - _startTicks) * (1e6 / Stopwatch.Frequency));

    private bool ShouldStop(long now)
    {
        if (Volatile.Read(ref _stop)) return true;
        if (now >= _deadlineTicks)
        {
            Volatile.Write(ref _stop, true);
            _toServer.Wake();
            _toClient.Wake();
            return true;
        }
        return false;
    }

    private void ThreadStarted()
    {
        if (_options.RealTimePriority && PreciseWait.TryEnterRealTime(10)) Interlocked.Increment(ref _realTimeThreads);
    }

    private void ThreadEnded()
    {
        if (Interlocked.Decrement(ref _runningThreads) == 0) _stopped.TrySetResult();
    }

    // Client -> relay: find or create the mapping, capture, join the to-server link.
    private void ClientReceiveLoop()
    {
        ThreadStarted();
        try
        {
            var from = new SocketAddress(_listen.AddressFamily);
            byte[] scratch = new byte[MaxDatagram];
            var readable = new List<Socket>(2);
            while (!ShouldStop(Stopwatch.GetTimestamp()))
            {
                try
                {
                    readable.Clear();
                    readable.Add(_listen);
                    if (_listenPreferred is not null)
                    {
                        readable.Add(_listenPreferred);
                        Socket.Select(readable, null, null, PollMicroseconds);
                    }
                    else if (!_listen.Poll(PollMicroseconds, SelectMode.SelectRead)) continue;
                    foreach (Socket socket in readable)
                    {
                        bool preferred = !ReferenceEquals(socket, _listen);
                        IPEndPoint local = preferred ? PreferredListenEndPoint! : ListenEndPoint;
                        while (true)
                        {
                            int n = RelaySocket.Receive(socket, scratch, from, out byte tc);
                            if (n < 0) break;
                            long now = Stopwatch.GetTimestamp();
                            if (!_toServer.FitsMtu(n)) continue;
                            NatMapping mapping = GetOrCreateMapping(from);
                            Interlocked.Increment(ref Statistics.ToServer._received);
                            _clientPcap?.Write(UnixMicroseconds(now), mapping.Client, local, tc, scratch.AsSpan(0, n));
                            var item = new RelayItem { Buffer = Rent(scratch, n), Length = n, TrafficClass = tc, Mapping = mapping, Preferred = preferred };
                            _toServer.Admit(now, ref item);
                        }
                    }
                }
                catch (SocketException)
                {
                    // Transient (e.g. an ICMP error); keep relaying.
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            ThreadEnded();
        }
    }

    // Server -> relay on any upstream socket: capture, join the to-client link.
    private void ServerReceiveLoop()
    {
        ThreadStarted();
        try
        {
            var from = new SocketAddress(_server.AddressFamily);
            var wakeFrom = new SocketAddress(AddressFamily.InterNetwork);
            byte[] scratch = new byte[MaxDatagram];
            var readable = new List<Socket>();
            var bySocket = new Dictionary<Socket, UpstreamBinding>();
            UpstreamBinding[] known = [];
            while (!ShouldStop(Stopwatch.GetTimestamp()))
            {
                var bindings = Volatile.Read(ref _bindings);
                if (!ReferenceEquals(bindings, known))
                {
                    known = bindings;
                    foreach (var b in bindings) bySocket[b.Socket] = b;
                }
                readable.Clear();
                readable.Add(_wakeReceiver);
                foreach (var b in known) readable.Add(b.Socket);
                try
                {
                    Socket.Select(readable, null, null, PollMicroseconds);
                }
                catch (SocketException)
                {
                    continue;
                }
                foreach (Socket socket in readable)
                {
                    if (ReferenceEquals(socket, _wakeReceiver))
                    {
                        while (RelaySocket.Receive(_wakeReceiver, scratch, wakeFrom, out _) >= 0) { }
                        continue;
                    }
                    UpstreamBinding binding = bySocket[socket];
                    try
                    {
                        while (true)
                        {
                            int n = RelaySocket.Receive(socket, scratch, from, out byte tc);
                            if (n < 0) break;
                            long now = Stopwatch.GetTimestamp();
                            bool preferred = _serverPreferredAddress is not null && from.Equals(_serverPreferredAddress);
                            if (!preferred && !from.Equals(_serverAddress)) continue; // only the server's datagrams are relayed
                            if (!_toClient.FitsMtu(n)) continue;
                            Interlocked.Increment(ref Statistics.ToClient._received);
                            _serverPcap?.Write(UnixMicroseconds(now), preferred ? _serverPreferred! : _server, binding.LocalEndPoint, tc, scratch.AsSpan(0, n));
                            var item = new RelayItem { Buffer = Rent(scratch, n), Length = n, TrafficClass = tc, Mapping = binding.Mapping, Binding = binding, Preferred = preferred };
                            _toClient.Admit(now, ref item);
                        }
                    }
                    catch (SocketException)
                    {
                    }
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            ThreadEnded();
        }
    }

    private static byte[] Rent(byte[] source, int length)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        source.AsSpan(0, length).CopyTo(buffer);
        return buffer;
    }

    private NatMapping GetOrCreateMapping(SocketAddress from)
    {
        lock (_mappingLock)
        {
            if (_mappings.TryGetValue(from, out var mapping)) return mapping;
            IPEndPoint client = (IPEndPoint)ListenEndPoint.Create(from);
            SocketAddress key = client.Serialize();
            mapping = new NatMapping(client, key);
            _mappings.Add(key, mapping);
            Interlocked.Increment(ref Statistics._mappings);
            return mapping;
        }
    }

    // The NAT's upstream side for the epoch a datagram reaches it in; a new socket at each rebinding (runner: rebind-error-model.cc).
    private UpstreamBinding BindingFor(NatMapping mapping, int epoch)
    {
        var current = mapping.Current;
        if (current is not null && current.Epoch == epoch) return current;
        IPAddress address;
        lock (_mappingLock)
        {
            while (_epochAddresses.Count <= epoch)
            {
                IPAddress previous = _epochAddresses[^1];
                IPAddress next = previous;
                if (_scenario.RebindAddress)
                {
                    // A random 127.0.0.x (x in 2..254), different from the previous and from the original address.
                    do next = new IPAddress(new byte[] { 127, 0, 0, (byte)_rebindRandom.Next(2, 255) });
                    while (next.Equals(previous) || next.Equals(_epochAddresses[0]));
                }
                _epochAddresses.Add(next);
            }
            address = _epochAddresses[epoch];
        }
        Socket socket = NewSocket(new IPEndPoint(address, 0));
        if (_options.UpstreamSocketMark != 0) RelaySocket.SetMark(socket, _options.UpstreamSocketMark);
        var binding = new UpstreamBinding(mapping, socket, epoch);
        lock (_mappingLock)
        {
            var updated = new UpstreamBinding[_bindings.Length + 1];
            _bindings.CopyTo(updated, 0);
            updated[^1] = binding;
            Volatile.Write(ref _bindings, updated);
        }
        if (current is not null)
        {
            Interlocked.Increment(ref Statistics._rebindings);
            _log?.WriteLine($"{Elapsed.TotalSeconds:F3}s: rebinding {mapping.Client}: {current.LocalEndPoint} -> {binding.LocalEndPoint}");
        }
        mapping.Current = binding;
        try
        {
            _wakeSender.SendTo(stackalloc byte[1], SocketFlags.None, _wakeAddress);
        }
        catch (SocketException)
        {
        }
        return binding;
    }

    // The modelled iperf TCP flow (UdpRelayOptions.TcpCubicCrossTraffic).
    private void CrossTrafficLoop()
    {
        ThreadStarted();
        try
        {
            _cross!.Run(() => ShouldStop(Stopwatch.GetTimestamp()));
        }
        finally
        {
            ThreadEnded();
        }
    }

    /// <summary>The modelled TCP cross flow's counters (segments sent, delivered, dropped; window reductions); null without one.</summary>
    public (long Sent, long Delivered, long Dropped, long Reductions)? CrossTraffic => _cross?.Counters;

    private void ForwardLoop(bool toServer)
    {
        RelayLink link = toServer ? _toServer : _toClient;
        RelayDirectionStatistics stats = link.Statistics;
        ThreadStarted();
        try
        {
            while (!ShouldStop(Stopwatch.GetTimestamp()))
            {
                if (!link.TryPeek(50, out RelayItem item))
                {
                    // Idle: push the captures to disk so they survive an abrupt end of the process.
                    (toServer ? _serverPcap : _clientPcap)?.Flush();
                    continue;
                }
                if (!PreciseWait.Until(Math.Min(item.DueTicks, _deadlineTicks), _spinTicks, _maxSleepTicks, ref _stop)) break;
                long now = Stopwatch.GetTimestamp();
                if (ShouldStop(now)) break;
                link.Dequeue();
                if (item.CrossTraffic)
                {
                    _cross!.OnDelivered(now, item.SentTicks); // the cross flow's segment reached the client side
                    continue;
                }
                stats.AddLateness((long)((now - item.DueTicks) * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
                try
                {
                    if (toServer) ForwardToServer(link, ref item, now);
                    else ForwardToClient(link, ref item, now);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(item.Buffer);
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            ThreadEnded();
        }
    }

    private bool CountVerdict(RelayVerdict verdict, RelayDirectionStatistics stats)
    {
        switch (verdict)
        {
            case RelayVerdict.Blackhole: Interlocked.Increment(ref stats._blackholeDrops); return false;
            case RelayVerdict.DropList: Interlocked.Increment(ref stats._listDrops); return false;
            case RelayVerdict.RandomDrop: Interlocked.Increment(ref stats._randomDrops); return false;
            case RelayVerdict.Corrupted: Interlocked.Increment(ref stats._corrupted); return true;
            default: return true;
        }
    }

    private void ForwardToServer(RelayLink link, ref RelayItem item, long now)
    {
        if (!CountVerdict(link.Decide(ref item), link.Statistics)) return;
        int epoch = _scenario.RebindEpochAt(link.SinceStart(item.DueTicks));
        UpstreamBinding binding;
        try
        {
            binding = BindingFor(item.Mapping, epoch);
        }
        catch (SocketException e)
        {
            // No upstream socket (e.g. the address is unusable): the datagram is lost, the relay goes on.
            Interlocked.Increment(ref link.Statistics._sendErrors);
            _log?.WriteLine($"{Elapsed.TotalSeconds:F3}s: cannot open an upstream socket for {item.Mapping.Client}: {e.Message}");
            return;
        }
        ReadOnlySpan<byte> payload = item.Buffer.AsSpan(0, item.Length);
        if (binding.LastTrafficClass != item.TrafficClass)
        {
            RelaySocket.SetTrafficClass(binding.Socket, item.TrafficClass);
            binding.LastTrafficClass = item.TrafficClass;
        }
        // Captured before the send, so that the server's reply can never precede it in the file.
        _serverPcap?.Write(UnixMicroseconds(now), binding.LocalEndPoint, item.Preferred ? _serverPreferred! : _server, item.TrafficClass, payload);
        Send(binding.Socket, payload, item.Preferred ? _serverPreferredAddress! : _serverAddress, link.Statistics);
    }

    private void ForwardToClient(RelayLink link, ref RelayItem item, long now)
    {
        if (link.IsBlackholed(item.DueTicks))
        {
            Interlocked.Increment(ref link.Statistics._blackholeDrops);
            return;
        }
        // NAT: a reply to a mapping that has been rebound since is dropped (rebind-error-model.cc).
        int epoch = _scenario.RebindEpochAt(link.SinceStart(item.DueTicks));
        if (item.Binding!.Epoch != epoch)
        {
            Interlocked.Increment(ref link.Statistics._staleDrops);
            _log?.WriteLine($"{Elapsed.TotalSeconds:F3}s: dropping a datagram to stale binding {item.Binding.LocalEndPoint} of {item.Mapping.Client}");
            return;
        }
        if (!CountVerdict(link.Decide(ref item), link.Statistics)) return;
        ReadOnlySpan<byte> payload = item.Buffer.AsSpan(0, item.Length);
        if (item.Preferred)
        {
            // From the server's preferred address: out of the relay's second port.
            if (_listenPreferredTrafficClass != item.TrafficClass)
            {
                RelaySocket.SetTrafficClass(_listenPreferred!, item.TrafficClass);
                _listenPreferredTrafficClass = item.TrafficClass;
            }
            _clientPcap?.Write(UnixMicroseconds(now), PreferredListenEndPoint!, item.Mapping.Client, item.TrafficClass, payload);
            Send(_listenPreferred!, payload, item.Mapping.ClientAddress, link.Statistics);
            return;
        }
        if (_listenTrafficClass != item.TrafficClass)
        {
            RelaySocket.SetTrafficClass(_listen, item.TrafficClass);
            _listenTrafficClass = item.TrafficClass;
        }
        _clientPcap?.Write(UnixMicroseconds(now), ListenEndPoint, item.Mapping.Client, item.TrafficClass, payload);
        Send(_listen, payload, item.Mapping.ClientAddress, link.Statistics);
    }

    private static void Send(Socket socket, ReadOnlySpan<byte> payload, SocketAddress to, RelayDirectionStatistics stats)
    {
        try
        {
            socket.SendTo(payload, SocketFlags.None, to);
            Interlocked.Increment(ref stats._forwarded);
        }
        catch (SocketException)
        {
            Interlocked.Increment(ref stats._sendErrors);
        }
    }

    /// <summary>Waits for the relay threads to end (they end at <see cref="UdpRelayOptions.Lifetime"/>).</summary>
    public bool WaitForStop(TimeSpan timeout) => _stopped.Task.Wait(timeout);

    /// <summary>Stops forwarding, joins every relay thread, closes every socket and finishes the pcaps.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Volatile.Write(ref _stop, true);
        _toServer.Wake();
        _toClient.Wake();
        try
        {
            _wakeSender.SendTo(stackalloc byte[1], SocketFlags.None, _wakeAddress);
        }
        catch (SocketException)
        {
        }
        foreach (var t in _threads)
        {
            if (t != Thread.CurrentThread) t.Join();
        }
        _toServer.Clear();
        _toClient.Clear();
        _listen.Dispose();
        _listenPreferred?.Dispose();
        _wakeReceiver.Dispose();
        _wakeSender.Dispose();
        foreach (var b in Volatile.Read(ref _bindings)) b.Socket.Dispose();
        _clientPcap?.Dispose();
        _serverPcap?.Dispose();
    }
}
