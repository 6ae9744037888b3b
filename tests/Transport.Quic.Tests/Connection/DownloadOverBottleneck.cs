using System.Net;
using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Quic.Connection;

namespace Transport.Quic.Tests.Connection;

/// <summary>
/// The interop runner's goodput case in virtual time: the client opens one bidirectional stream with a short request,
/// the server answers with <c>fileBytes</c> and FIN, over a <see cref="NetworkSimulator"/> path whose server-to-client
/// link is the bottleneck (rate, drop-tail queue, one-way delay). Unlike <see cref="ConnectionPair"/>, the driver honours
/// the pacer: a datagram enters the network at its <see cref="TransmitInfo.EarliestSendTime"/>, as the endpoint sends
/// it. Goodput is the runner's: 8 · file bytes over the time between the first and the last 1-RTT packet the server sent.
/// </summary>
internal sealed class DownloadOverBottleneck : IDisposable
{
    private static readonly IPEndPoint ClientAddress = ConnectionPair.ClientAddress;
    private static readonly IPEndPoint ServerAddress = ConnectionPair.ServerAddress;

    private readonly NetworkSimulator _simulator;
    private readonly long _fileBytes;
    private readonly byte[] _buffer = new byte[65536];
    private readonly byte[] _readBuffer = new byte[65536];
    private readonly PriorityQueue<(byte[] Data, IPEndPoint From, IPEndPoint To, byte Ecn), (long Ticks, long Sequence)> _held = new();
    private long _heldSequence;
    private long _streamId = -1;
    private bool _serverAnswered;
    private Instant? _firstServerShortHeader;
    private Instant _lastServerShortHeader;

    public DownloadOverBottleneck(ConnectionOptions clientOptions, ConnectionOptions serverOptions, LinkConditions toClient, LinkConditions toServer, long fileBytes, int seed = 1)
    {
        _fileBytes = fileBytes;
        _simulator = new NetworkSimulator(seed);
        _simulator.SetLink(ClientAddress, ServerAddress, toServer);
        _simulator.SetLink(ServerAddress, ClientAddress, toClient);
        Now = Instant.FromMilliseconds(1_000);
        Client = QuicConnectionCore.CreateClient(clientOptions, ServerAddress, Now);
        Server = QuicConnectionCore.CreateServer(serverOptions, ClientAddress, Client.OriginalDestinationConnectionId, Now);
    }

    /// <summary>The runner's goodput scenario: 10 Mbit/s, 15 ms each way, a 25-packet queue in front of a 1-packet device queue.</summary>
    public static LinkConditions RunnerPath(long bitsPerSecond = 10_000_000, int queuePackets = 25, double lossRate = 0) => new()
    {
        Delay = TimeSpan.FromMilliseconds(15),
        BandwidthBitsPerSecond = bitsPerSecond,
        QueueCapacityPackets = queuePackets + 1,
        LossRate = lossRate,
    };

    /// <summary>
    /// The most a driver wake-up is late (uniform in [0, this]): every time the loop sleeps until a timer, a pacing
    /// release or the next arrival, it wakes this much later and then handles everything due (datagrams that arrived in
    /// the meantime as one batch), as a loaded machine's endpoint threads do. Zero: a perfect driver.
    /// </summary>
    public TimeSpan MaxWakeLatency { get; init; }

    private readonly Random _latencyRandom = new(7);

    public QuicConnectionCore Client { get; }
    public QuicConnectionCore Server { get; }
    public Instant Now { get; private set; }
    public long ClientBytesRead { get; private set; }
    public bool Finished { get; private set; }
    public List<string> Errors { get; } = new();

    /// <summary>Datagrams the bottleneck dropped (queue full) in the server-to-client direction.</summary>
    public long QueueDrops => _simulator.GetTotalStatistics().DroppedQueueFull;

    /// <summary>8 · file bytes / (last − first server 1-RTT packet), in bit/s.</summary>
    public double GoodputBitsPerSecond =>
        _firstServerShortHeader is { } first && _lastServerShortHeader > first ? _fileBytes * 8 / (_lastServerShortHeader - first).TotalSeconds : 0;

    /// <summary>Runs the download; false when it did not finish within <paramref name="limit"/> of virtual time.</summary>
    public bool Run(TimeSpan limit)
    {
        Instant end = Now + limit;
        for (long step = 0; step < 50_000_000; step++)
        {
            if (Client.IsHandshakeComplete && _streamId < 0)
            {
                if (!Client.TryOpenStream(bidirectional: true, out _streamId)) throw new InvalidOperationException("could not open a stream");
                Client.WriteStream(_streamId, "GET /file\r\n"u8, fin: true);
            }
            ReleaseHeld();
            Flush(Client, ClientAddress, fromServer: false);
            Flush(Server, ServerAddress, fromServer: true);
            bool delivered = false;
            while (_simulator.TryReceive(Now, out SimulatedDatagram d))
            {
                delivered = true;
                if (d.Destination.Equals(ServerAddress)) Server.HandleDatagramWithEcn(Now, d.Source, null, d.Payload.Span, d.Ecn);
                else Client.HandleDatagramWithEcn(Now, d.Source, null, d.Payload.Span, d.Ecn);
            }
            DrainEvents();
            if (Finished || Errors.Count > 0) return Finished;
            if (delivered) continue;
            Instant next = end;
            if (_simulator.NextDeliveryTime is { } t) next = Instant.Min(next, t);
            if (_held.TryPeek(out _, out var held)) next = Instant.Min(next, Instant.FromTicks(held.Ticks));
            if (Client.NextTimeout() is { } ct) next = Instant.Min(next, ct);
            if (Server.NextTimeout() is { } st) next = Instant.Min(next, st);
            if (next >= end) return false;
            if (MaxWakeLatency > TimeSpan.Zero) next += TimeSpan.FromTicks((long)(_latencyRandom.NextDouble() * MaxWakeLatency.Ticks));
            if (next > Now) Now = next;
            if (Client.NextTimeout() is { } c2 && c2 <= Now) Client.HandleTimeout(Now);
            if (Server.NextTimeout() is { } s2 && s2 <= Now) Server.HandleTimeout(Now);
        }
        return false;
    }

    private void Flush(QuicConnectionCore connection, IPEndPoint from, bool fromServer)
    {
        for (int i = 0; i < 100_000; i++)
        {
            int n = connection.PollTransmit(Now, _buffer, out TransmitInfo info);
            if (n == 0) return;
            if (info.EarliestSendTime > Now)
            {
                // Held until the pacer's release time (RFC 9002 §7.7), as the endpoint does.
                _held.Enqueue((_buffer.AsSpan(0, n).ToArray(), info.Source ?? from, info.Destination, info.Ecn), (info.EarliestSendTime.Ticks, _heldSequence++));
                continue;
            }
            Send(_buffer.AsSpan(0, n), info.Source ?? from, info.Destination, info.Ecn);
        }
    }

    private void ReleaseHeld()
    {
        while (_held.TryPeek(out var d, out var p) && p.Ticks <= Now.Ticks)
        {
            _held.Dequeue();
            Send(d.Data, d.From, d.To, d.Ecn);
        }
    }

    private void Send(ReadOnlySpan<byte> datagram, IPEndPoint from, IPEndPoint to, byte ecn)
    {
        if (from.Equals(ServerAddress) && datagram.Length > 0 && (datagram[0] & 0x80) == 0)
        {
            _firstServerShortHeader ??= Now;
            _lastServerShortHeader = Now;
        }
        _simulator.Send(Now, from, to, datagram, ecn);
    }

    private void DrainEvents()
    {
        while (Server.PollEvent(out ConnectionEvent e))
        {
            if (e.Kind == ConnectionEventKind.Closed) Errors.Add($"server: {e}");
            if (e.Kind == ConnectionEventKind.StreamReadable && !_serverAnswered)
            {
                while (Server.ReadStream(e.StreamId, _readBuffer, out bool fin) > 0 || fin)
                {
                    if (!fin) continue;
                    _serverAnswered = true;
                    var chunk = new byte[65536];
                    for (long offset = 0; offset < _fileBytes; offset += chunk.Length)
                        Server.WriteStream(e.StreamId, chunk.AsSpan(0, (int)Math.Min(chunk.Length, _fileBytes - offset)));
                    Server.FinishStream(e.StreamId);
                    break;
                }
            }
        }
        while (Client.PollEvent(out ConnectionEvent e))
        {
            if (e.Kind == ConnectionEventKind.Closed) Errors.Add($"client: {e}");
            if (e.Kind != ConnectionEventKind.StreamReadable) continue;
            while (true)
            {
                int n = Client.ReadStream(e.StreamId, _readBuffer, out bool fin);
                ClientBytesRead += n;
                if (fin)
                {
                    Finished = ClientBytesRead == _fileBytes;
                    if (!Finished) Errors.Add($"FIN after {ClientBytesRead} of {_fileBytes} bytes");
                    break;
                }
                if (n == 0) break;
            }
        }
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
