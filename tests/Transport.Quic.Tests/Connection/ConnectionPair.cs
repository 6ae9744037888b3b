using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Crypto;
using Transport.Quic.Packets;
using Transport.Quic.Connection;
using Transport.Quic.Tls;
using Transport.Quic.Tests.Tls;

namespace Transport.Quic.Tests.Connection;

/// <summary>
/// Drives a client and a server connection over a <see cref="NetworkSimulator"/> in virtual time: poll transmit until
/// 0, deliver due datagrams, advance to the earliest of the next delivery and the connections' timeouts. Every loop is
/// bounded by a step count.
/// </summary>
internal sealed class ConnectionPair : IDisposable
{
    public static readonly SslApplicationProtocol Alpn = new("conn-test");
    public static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.0.1"), 50000);
    public static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.2"), 4433);

    private readonly byte[] _buffer = new byte[65536];
    private int _datagramIndex;

    public ConnectionPair(ConnectionOptions clientOptions, ConnectionOptions serverOptions, LinkConditions? conditions = null, int seed = 1,
        LinkConditions? serverToClient = null, bool useRetry = false, bool wrongServerOdcid = false, Instant? start = null)
    {
        Simulator = new NetworkSimulator(seed);
        var c = conditions ?? new LinkConditions { Delay = TimeSpan.FromMilliseconds(10) };
        Simulator.SetLink(ClientAddress, ServerAddress, c);
        Simulator.SetLink(ServerAddress, ClientAddress, serverToClient ?? c);
        // start: a real monotonic clock reads far from zero; protocol timers must not depend on where time begins.
        Now = start ?? Instant.FromMilliseconds(1_000);
        Client = QuicConnectionCore.CreateClient(clientOptions, ServerAddress, Now);
        if (useRetry)
        {
            // The endpoint's part, played here: answer the first Initial with a Retry, then create the server for the
            // Initial that carries the token (RFC 9000 §8.1.2).
            _retryConnectionId = ConnectionId.NewRandom(8);
            Server = QuicConnectionCore.CreateServer(serverOptions, ClientAddress, _retryConnectionId.Value, Now, _retryConnectionId, retriedFrom: Client.OriginalDestinationConnectionId);
        }
        else
        {
            // wrongServerOdcid: the server believes the client came through a Retry from another ID, so its
            // original_destination_connection_id cannot match what the client sent (RFC 9000 §7.3).
            Server = wrongServerOdcid
                ? QuicConnectionCore.CreateServer(serverOptions, ClientAddress, Client.OriginalDestinationConnectionId, Now, retriedFrom: ConnectionId.NewRandom(8))
                : QuicConnectionCore.CreateServer(serverOptions, ClientAddress, Client.OriginalDestinationConnectionId, Now);
        }
    }

    private ConnectionId? _retryConnectionId;
    private bool _retrySent;

    public static readonly byte[] RetryToken = "retry-token"u8.ToArray();

    /// <summary>Turns the client's first datagram into a Retry sent back to it.</summary>
    private bool TrySendRetry(ReadOnlySpan<byte> firstDatagram)
    {
        if (_retryConnectionId is not { } rcid || _retrySent) return false;
        _retrySent = true;
        Assert.True(LongHeader.TryParse(firstDatagram, out var header));
        var retry = new byte[RetryPacket.GetLength(header.SourceConnectionId.Length, rcid.Length, RetryToken.Length)];
        Assert.True(RetryPacket.TryWrite(retry, QuicVersion.Version1, header.SourceConnectionId, rcid.Span, RetryToken, 0, out int tagOffset));
        RetryIntegrity.ComputeTag(QuicVersion.Version1, header.DestinationConnectionId, retry.AsSpan(0, tagOffset), retry.AsSpan(tagOffset));
        RetrySentCount++;
        Simulator.Send(Now, ServerAddress, ClientAddress, retry);
        return true;
    }

    public int RetrySentCount { get; private set; }

    public NetworkSimulator Simulator { get; }
    public QuicConnectionCore Client { get; }
    public QuicConnectionCore Server { get; }
    public Instant Now { get; private set; }

    public List<ConnectionEvent> ClientEvents { get; } = new();
    public List<ConnectionEvent> ServerEvents { get; } = new();

    /// <summary>Called for every event: (pair, isClient, event).</summary>
    public Action<ConnectionPair, bool, ConnectionEvent>? OnEvent { get; set; }

    /// <summary>Decides whether to drop a datagram before it enters the network: (fromClient, global index).</summary>
    public Func<bool, int, bool>? Drop { get; set; }

    /// <summary>Rewrites a datagram before it enters the network (for malformed-input tests): (fromClient, bytes) returns bytes to send.</summary>
    public Func<bool, byte[], byte[]>? Rewrite { get; set; }

    public long ServerBytesReceived { get; private set; }

    /// <summary>Other local addresses of the client (for active migration); datagrams to them reach the client with that local address.</summary>
    public HashSet<IPEndPoint> ClientAliases { get; } = new();

    /// <summary>Further local addresses of the server (a preferred address): datagrams to them go to HandleDatagramWithEcn with that local address.</summary>
    public HashSet<IPEndPoint> ServerAliases { get; } = new();

    /// <summary>Datagrams that arrived at an address neither connection owns.</summary>
    public int UndeliveredDatagrams { get; private set; }

    /// <summary>Called for every datagram the network delivers, before the connection sees it: (source as seen, destination, length).</summary>
    public Action<IPEndPoint, IPEndPoint, int>? OnDeliver { get; set; }

    /// <summary>Called for every datagram a connection produced (before drop/rewrite): (fromClient, info, length).</summary>
    public Action<bool, TransmitInfo, int>? OnTransmit { get; set; }
    public long ServerBytesSentBeforeValidation { get; private set; }
    public long ServerBytesReceivedAtLastUnvalidatedSend { get; private set; }
    public bool AmplificationViolated { get; private set; }
    public int Steps { get; private set; }

    /// <summary>Real time spent inside HandleDatagram and PollTransmit (Stopwatch ticks), to tell the connection's cost from the harness's.</summary>
    public long ReceiveTicks { get; private set; }

    /// <inheritdoc cref="ReceiveTicks"/>
    public long TransmitTicks { get; private set; }

    /// <summary>Bytes allocated inside HandleDatagram / PollTransmit (this thread).</summary>
    public long ReceiveAllocated { get; private set; }

    /// <inheritdoc cref="ReceiveAllocated"/>
    public long TransmitAllocated { get; private set; }

    public static ConnectionOptions ClientOptions(Action<ConnectionOptions>? configure = null)
    {
        var o = new ConnectionOptions
        {
            ClientTls = new TlsClientOptions
            {
                ServerName = TestCertificates.Name,
                ApplicationProtocols = [Alpn],
                PinnedCertificateSha256 = [TlsClientOptions.ComputeCertificatePin(TestCertificates.Ecdsa)],
            },
        };
        configure?.Invoke(o);
        return o;
    }

    private static readonly Lazy<X509Certificate2Collection> LazyBigChain = new(() =>
    {
        var chain = new X509Certificate2Collection();
        for (int i = 0; i < 8; i++)
            chain.Add(TestCertificates.Create(useRsa: false, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), $"intermediate-{i}.example.test"));
        return chain;
    });

    /// <summary>Server options; <paramref name="bigFlight"/> adds eight certificates to the chain so the server's first flight exceeds 3x the client's Initial.</summary>
    public static ConnectionOptions ServerOptions(Action<ConnectionOptions>? configure = null, X509Certificate2? certificate = null, bool bigFlight = false)
    {
        var o = new ConnectionOptions
        {
            ServerTls = new TlsServerOptions
            {
                ServerCertificate = certificate ?? TestCertificates.Ecdsa, ApplicationProtocols = [Alpn],
                ServerCertificateChain = bigFlight ? LazyBigChain.Value : null,
            },
        };
        configure?.Invoke(o);
        return o;
    }

    /// <summary>Runs until <paramref name="condition"/> holds; false when the step budget ran out or nothing is left to do.</summary>
    public bool RunUntil(Func<bool> condition, int maxSteps = 2_000_000) => RunUntil(condition, maxSteps, null);

    private bool RunUntil(Func<bool> condition, int maxSteps, Instant? stopAt)
    {
        for (int step = 0; step < maxSteps; step++)
        {
            Steps++;
            DrainEvents();
            if (condition()) return true;
            Flush(Client, fromClient: true);
            Flush(Server, fromClient: false);
            bool delivered = false;
            while (Simulator.TryReceive(Now, out var d))
            {
                delivered = true;
                OnDeliver?.Invoke(d.Source, d.Destination, d.Payload.Length);
                if (d.Destination.Equals(ServerAddress) || ServerAliases.Contains(d.Destination))
                {
                    ServerBytesReceived += d.Payload.Length;
                    long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    long a0 = GC.GetAllocatedBytesForCurrentThread();
                    Server.HandleDatagramWithEcn(Now, d.Source, d.Destination.Equals(ServerAddress) ? null : d.Destination, d.Payload.Span, d.Ecn);
                    ReceiveAllocated += GC.GetAllocatedBytesForCurrentThread() - a0;
                    ReceiveTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
                }
                else if (d.Destination.Equals(ClientAddress) || ClientAliases.Contains(d.Destination))
                {
                    long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    long a0 = GC.GetAllocatedBytesForCurrentThread();
                    Client.HandleDatagramWithEcn(Now, d.Source, d.Destination.Equals(ClientAddress) ? null : d.Destination, d.Payload.Span, d.Ecn);
                    ReceiveAllocated += GC.GetAllocatedBytesForCurrentThread() - a0;
                    ReceiveTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
                }
                else UndeliveredDatagrams++; // an address nobody owns (a spoofed source)
            }
            if (delivered) continue;
            DrainEvents();
            if (condition()) return true;
            Instant? next = Earliest(Simulator.NextDeliveryTime, Earliest(Client.NextTimeout(), Server.NextTimeout()));
            if (next is not { } t) t = stopAt ?? Now;
            if (stopAt is { } stop && t > stop)
            {
                Now = Instant.Max(Now, stop);
                return condition();
            }
            if (next is null) return condition();
            if (t > Now) Now = t;
            if (Client.NextTimeout() is { } ct && ct <= Now) Client.HandleTimeout(Now);
            if (Server.NextTimeout() is { } st && st <= Now) Server.HandleTimeout(Now);
        }
        return false;
    }

    /// <summary>Runs for a span of virtual time (bounded by steps).</summary>
    public void RunFor(TimeSpan duration, int maxSteps = 2_000_000)
    {
        Instant end = Now + duration;
        RunUntil(() => Now >= end, maxSteps, end);
    }

    public bool CompleteHandshake() => RunUntil(() => Client.IsHandshakeConfirmed && Server.IsHandshakeConfirmed, 100_000);

    /// <summary>
    /// Send with <see cref="QuicConnectionCore.PollTransmitBatch"/> (up to 16 datagrams a call, header protection
    /// batched, as the endpoint does) instead of one <see cref="QuicConnectionCore.PollTransmit"/> per datagram.
    /// </summary>
    public bool UseTransmitBatch { get; set; }

    private readonly int[] _batchLengths = new int[16];
    private readonly TransmitInfo[] _batchInfos = new TransmitInfo[16];
    private byte[]? _batchBuffer;
    private int _batchCount, _batchNext, _batchOffset;

    private int Transmit(QuicConnectionCore connection, out TransmitInfo info, out Span<byte> datagram)
    {
        if (!UseTransmitBatch)
        {
            int n = connection.PollTransmit(Now, _buffer, out info);
            datagram = _buffer.AsSpan(0, n);
            return n;
        }
        if (_batchNext == _batchCount)
        {
            _batchBuffer ??= new byte[_batchLengths.Length * 1500 + 2 * 65536];
            _batchCount = connection.PollTransmitBatch(Now, _batchBuffer, _batchLengths, _batchInfos, TimeSpan.FromMilliseconds(1));
            _batchNext = _batchOffset = 0;
            if (_batchCount == 0)
            {
                info = default;
                datagram = default;
                return 0;
            }
        }
        info = _batchInfos[_batchNext];
        datagram = _batchBuffer.AsSpan(_batchOffset, _batchLengths[_batchNext]);
        _batchOffset += datagram.Length;
        _batchNext++;
        return datagram.Length;
    }

    private void Flush(QuicConnectionCore connection, bool fromClient)
    {
        _batchCount = _batchNext = 0; // a batch belongs to one connection
        for (int i = 0; i < 10_000; i++)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            int n = Transmit(connection, out TransmitInfo info, out Span<byte> datagram);
            TransmitAllocated += GC.GetAllocatedBytesForCurrentThread() - a0;
            TransmitTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
            if (n == 0) break;
            int index = _datagramIndex++;
            OnTransmit?.Invoke(fromClient, info, n);
            if (!fromClient && !Server.IsAddressValidated)
            {
                ServerBytesSentBeforeValidation += n;
                if (ServerBytesSentBeforeValidation > 3 * ServerBytesReceived) AmplificationViolated = true;
            }
            if (Drop?.Invoke(fromClient, index) == true) continue;
            var payload = datagram;
            if (fromClient && TrySendRetry(payload)) continue;
            if (Rewrite is not null)
            {
                byte[] rewritten = Rewrite(fromClient, payload.ToArray());
                Simulator.Send(Now, info.Source ?? (fromClient ? ClientAddress : ServerAddress), info.Destination, rewritten, info.Ecn);
                continue;
            }
            Simulator.Send(Now, info.Source ?? (fromClient ? ClientAddress : ServerAddress), info.Destination, payload, info.Ecn); // the IP header's ECN bits travel too
        }
    }

    private void DrainEvents()
    {
        while (Client.PollEvent(out var e))
        {
            ClientEvents.Add(e);
            OnEvent?.Invoke(this, true, e);
        }
        while (Server.PollEvent(out var e))
        {
            ServerEvents.Add(e);
            OnEvent?.Invoke(this, false, e);
        }
    }

    private static Instant? Earliest(Instant? a, Instant? b) => a is { } x ? (b is { } y ? Instant.Min(x, y) : x) : b;

    public void Dispose()
    {
        int clientBugs = Client.GetStatistics().InternalErrors, serverBugs = Server.GetStatistics().InternalErrors;
        Client.Dispose();
        Server.Dispose();
        Assert.True(clientBugs == 0 && serverBugs == 0, $"internal errors: client {clientBugs}, server {serverBugs}");
    }
}
