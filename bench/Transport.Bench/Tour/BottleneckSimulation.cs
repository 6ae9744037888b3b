using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Connection;
using Transport.Quic.Tls;
using Transport.Reliable.Congestion;

namespace Transport.Bench.Tour;

/// <summary>
/// Bulk QUIC flows (full <see cref="QuicConnectionCore"/> pairs: TLS 1.3, packet protection, loss recovery, the chosen
/// congestion controller) over one <see cref="NetworkSimulator"/> path in virtual time. Every client uses the same
/// address and every server the same address, so all flows share one link each way and therefore one bottleneck queue,
/// as flows through one router port do; datagrams are routed to their connection by destination connection ID (each
/// flow's IDs start with its index). The driver holds each datagram until its pacer release time
/// (<see cref="TransmitInfo.EarliestSendTime"/>) before the network sees it.
/// </summary>
internal sealed class BottleneckSimulation
{
    private static readonly SslApplicationProtocol Alpn = new("tour-cc");
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.0.1"), 50000);
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.2"), 4433);
    private static readonly Lazy<X509Certificate2> Certificate = new(CreateCertificate);
    private static readonly byte[] Payload = new byte[256 * 1024];

    /// <summary>Stream bytes the client keeps buffered (unsent or unacknowledged): more than any window on this path.</summary>
    private const long SendBufferTarget = 6 << 20;
    private const int MaxDatagramSize = 1472; // a 1500-byte IPv4 MTU, as on the TUN path the kernel rows use

    private readonly NetworkSimulator _simulator;
    private readonly int _seed;
    private readonly LinkConditions _forward;
    private readonly List<BottleneckFlow> _flows = [];
    private readonly PriorityQueue<HeldDatagram, long> _held = new();
    private readonly Stack<byte[]> _buffers = new();
    private readonly byte[] _transmitBuffer = new byte[2048];
    private readonly long[] _queueingHistogram = new long[HistogramBuckets]; // 10 µs buckets
    private const int HistogramBuckets = 100_000; // up to 1 s
    private const long BucketTicks = 100; // 10 µs
    private long _queueingSamples;
    private double _queueingSumTicks;
    private Instant _start;
    private Instant _now;
    private bool _measuring;

    private readonly record struct HeldDatagram(byte[] Buffer, int Length, IPEndPoint From, IPEndPoint To);

    /// <summary>
    /// BBR with a probe-wait seed fixed by the simulation seed and the flow, so a run repeats exactly whatever else the
    /// process ran before or beside it (the built-in factory seeds from a process-wide counter).
    /// </summary>
    private sealed class SeededBbrFactory(ulong seed) : ICongestionControllerFactory
    {
        public ICongestionController Create(int maxDatagramSize) => new Bbr(maxDatagramSize, seed);
    }

    /// <param name="forward">Client to server (data direction): the bottleneck.</param>
    /// <param name="backward">Server to client (acknowledgments).</param>
    public BottleneckSimulation(LinkConditions forward, LinkConditions backward, int seed)
    {
        _seed = seed;
        _simulator = new NetworkSimulator(seed);
        _simulator.SetLink(ClientAddress, ServerAddress, forward);
        _simulator.SetLink(ServerAddress, ClientAddress, backward);
        _forward = forward;
    }

    public IReadOnlyList<BottleneckFlow> Flows => _flows;

    /// <summary>Loop iterations of the last run (each a delivery batch, a timer or a pacing release).</summary>
    public long Steps { get; private set; }

    public BottleneckFlow AddFlow(CongestionControlAlgorithm algorithm, TimeSpan startAt)
    {
        var flow = new BottleneckFlow(_flows.Count, algorithm, startAt);
        _flows.Add(flow);
        return flow;
    }

    /// <summary>Queueing delay at the bottleneck of the data packets delivered in the measured window: mean and 99th percentile, in ms.</summary>
    public (double MeanMs, double P99Ms) QueueingDelay()
    {
        if (_queueingSamples == 0) return (double.NaN, double.NaN);
        long rank = (long)Math.Ceiling(_queueingSamples * 0.99), seen = 0;
        int bucket = 0;
        for (; bucket < HistogramBuckets; bucket++)
        {
            seen += _queueingHistogram[bucket];
            if (seen >= rank) break;
        }
        return (_queueingSumTicks / _queueingSamples / TimeSpan.TicksPerMillisecond, (bucket + 1) * BucketTicks / (double)TimeSpan.TicksPerMillisecond);
    }

    /// <summary>
    /// Runs every flow for <paramref name="duration"/> of virtual time; figures cover [<paramref name="measureFrom"/>,
    /// <paramref name="duration"/>]; every <paramref name="sampleInterval"/> each flow's window, bytes in flight and
    /// delivery rate are sampled.
    /// </summary>
    public void Run(TimeSpan duration, TimeSpan measureFrom, TimeSpan sampleInterval)
    {
        _start = Instant.FromMilliseconds(1_000);
        _now = _start;
        Instant end = _start + duration, measureAt = _start + measureFrom, nextSample = _start + sampleInterval;
        int started = 0;
        long stalls = 0;
        while (true)
        {
            Steps++;
            while (started < _flows.Count && _start + _flows[started].StartAt <= _now) Start(_flows[started++]);
            if (!_measuring && _now >= measureAt) BeginMeasuring();
            ReleaseHeld();
            foreach (BottleneckFlow flow in _flows)
            {
                if (flow.Client is null) continue;
                TopUp(flow);
                Flush(flow.Client, ClientAddress);
                Flush(flow.Server!, ServerAddress);
            }
            bool delivered = false;
            while (_simulator.TryReceive(_now, out SimulatedDatagram d))
            {
                delivered = true;
                Deliver(in d);
            }
            DrainEvents();
            if (delivered) continue;
            if (_now >= nextSample)
            {
                Sample(sampleInterval);
                nextSample += sampleInterval;
            }
            if (_now >= end) break;

            Instant next = Instant.Min(end, nextSample);
            if (!_measuring) next = Instant.Min(next, measureAt);
            if (started < _flows.Count) next = Instant.Min(next, _start + _flows[started].StartAt);
            if (_simulator.NextDeliveryTime is { } delivery) next = Instant.Min(next, delivery);
            if (_held.TryPeek(out _, out long heldTicks)) next = Instant.Min(next, Instant.FromTicks(heldTicks));
            foreach (BottleneckFlow flow in _flows)
            {
                if (flow.Client?.NextTimeout() is { } ct) next = Instant.Min(next, ct);
                if (flow.Server?.NextTimeout() is { } st) next = Instant.Min(next, st);
            }
            if (next > _now)
            {
                _now = next;
                stalls = 0;
            }
            else if (++stalls > 1_000_000)
            {
                throw new InvalidOperationException($"The simulation stopped advancing at {(_now - _start).TotalSeconds:F3} s of virtual time.");
            }
            foreach (BottleneckFlow flow in _flows)
            {
                if (flow.Client is not { } client) continue;
                if (client.NextTimeout() is { } ct && ct <= _now) client.HandleTimeout(_now);
                if (flow.Server!.NextTimeout() is { } st && st <= _now) flow.Server.HandleTimeout(_now);
            }
        }

        double seconds = (end - measureAt).TotalSeconds;
        foreach (BottleneckFlow flow in _flows)
        {
            if (flow.Client is not { } client) continue;
            ConnectionStatistics s = client.GetStatistics();
            flow.FinalClientStatistics = s;
            flow.GoodputBitsPerSecond = (flow.BytesRead - flow.ReadAtMeasureStart) * 8 / seconds;
            long sent = s.StreamBytesSent - flow.SentAtMeasureStart, retransmitted = s.StreamBytesRetransmitted - flow.RetransmittedAtMeasureStart;
            flow.RetransmissionRate = sent + retransmitted > 0 ? (double)retransmitted / (sent + retransmitted) : 0;
            if (flow.Error is null && !client.IsHandshakeConfirmed) flow.Error = "handshake not confirmed";
            if (flow.Error is null && (s.InternalErrors > 0 || flow.Server!.GetStatistics().InternalErrors > 0)) flow.Error = "internal error in a connection";
            client.Dispose();
            flow.Server!.Dispose();
        }
    }

    private void Start(BottleneckFlow flow)
    {
        X509Certificate2 certificate = Certificate.Value;
        byte prefix = (byte)flow.Index;
        ConnectionId NewId()
        {
            Span<byte> id = stackalloc byte[8];
            RandomNumberGenerator.Fill(id);
            id[0] = prefix;
            return new ConnectionId(id);
        }
        ICongestionControllerFactory? factory = flow.Algorithm == CongestionControlAlgorithm.Bbr
            ? new SeededBbrFactory(unchecked((ulong)(flow.Index + 1) * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)_seed))
            : null;
        var clientOptions = new ConnectionOptions
        {
            ClientTls = new TlsClientOptions
            {
                ServerName = "localhost",
                ApplicationProtocols = [Alpn],
                PinnedCertificateSha256 = [TlsClientOptions.ComputeCertificatePin(certificate)],
            },
            CongestionControl = flow.Algorithm,
            CongestionControllerFactory = factory,
            MaxDatagramSize = MaxDatagramSize,
            ConnectionIdGenerator = NewId,
        };
        var serverOptions = new ConnectionOptions
        {
            ServerTls = new TlsServerOptions { ServerCertificate = certificate, ApplicationProtocols = [Alpn] },
            CongestionControl = flow.Algorithm,
            CongestionControllerFactory = factory,
            MaxDatagramSize = MaxDatagramSize,
            ConnectionIdGenerator = NewId,
            // Receive windows well above the path's BDP plus queue (1.25 MB), so flow control never limits a flow.
            InitialMaxData = 32 << 20,
            MaxReceiveWindow = 64 << 20,
            InitialMaxStreamData = 32 << 20,
            MaxStreamReceiveWindow = 64 << 20,
        };
        flow.Client = QuicConnectionCore.CreateClient(clientOptions, ServerAddress, _now);
        flow.Server = QuicConnectionCore.CreateServer(serverOptions, ClientAddress, flow.Client.OriginalDestinationConnectionId, _now);
    }

    private void TopUp(BottleneckFlow flow)
    {
        QuicConnectionCore client = flow.Client!;
        if (client.IsClosed || !client.IsHandshakeComplete) return;
        if (flow.StreamId < 0)
        {
            if (!client.TryOpenStream(bidirectional: true, out long id)) throw new InvalidOperationException("Could not open a stream.");
            flow.StreamId = id;
        }
        while (client.GetStreamBufferedBytes(flow.StreamId) < SendBufferTarget) client.WriteStream(flow.StreamId, Payload);
    }

    private void Flush(QuicConnectionCore connection, IPEndPoint from)
    {
        for (int i = 0; i < 100_000; i++)
        {
            int n = connection.PollTransmit(_now, _transmitBuffer, out TransmitInfo info);
            if (n == 0) return;
            IPEndPoint source = info.Source ?? from;
            if (info.EarliestSendTime <= _now)
            {
                _simulator.Send(_now, source, info.Destination, _transmitBuffer.AsSpan(0, n));
                continue;
            }
            // Held until the pacer's release time (RFC 9002 §7.7).
            byte[] buffer = _buffers.Count > 0 ? _buffers.Pop() : new byte[_transmitBuffer.Length];
            _transmitBuffer.AsSpan(0, n).CopyTo(buffer);
            _held.Enqueue(new HeldDatagram(buffer, n, source, info.Destination), info.EarliestSendTime.Ticks);
        }
    }

    private void ReleaseHeld()
    {
        while (_held.TryPeek(out HeldDatagram d, out long ticks) && ticks <= _now.Ticks)
        {
            _held.Dequeue();
            _simulator.Send(_now, d.From, d.To, d.Buffer.AsSpan(0, d.Length));
            _buffers.Push(d.Buffer);
        }
    }

    private void Deliver(in SimulatedDatagram d)
    {
        ReadOnlySpan<byte> payload = d.Payload.Span;
        bool toServer = d.Destination.Equals(ServerAddress);
        if (toServer && _measuring && _forward.BandwidthBitsPerSecond > 0)
        {
            // Time spent waiting in the bottleneck queue: one-way time minus propagation minus own serialization.
            long queued = (d.DeliveredAt - d.SentAt).Ticks - _forward.Delay.Ticks - NetworkSimulator.SerializationTicks(payload.Length, _forward.BandwidthBitsPerSecond);
            if (queued < 0) queued = 0;
            _queueingHistogram[(int)Math.Min(HistogramBuckets - 1, queued / BucketTicks)]++;
            _queueingSumTicks += queued;
            _queueingSamples++;
        }
        BottleneckFlow? flow = Route(payload, toServer);
        if (flow is null) return;
        if (toServer) flow.Server!.HandleDatagram(_now, d.Source, payload);
        else flow.Client!.HandleDatagram(_now, d.Source, payload);
    }

    /// <summary>The flow a datagram belongs to: by the client's original DCID for its first Initials, else by the first byte of the DCID.</summary>
    private BottleneckFlow? Route(ReadOnlySpan<byte> datagram, bool toServer)
    {
        if (datagram.Length < 2) return null;
        if ((datagram[0] & 0x80) != 0)
        {
            if (datagram.Length < 7) return null;
            int length = datagram[5];
            if (length == 0 || datagram.Length < 6 + length) return null;
            ReadOnlySpan<byte> dcid = datagram.Slice(6, length);
            if (toServer)
            {
                foreach (BottleneckFlow f in _flows)
                {
                    if (f.Client is not null && dcid.SequenceEqual(f.Client.OriginalDestinationConnectionId.Span)) return f;
                }
            }
            return dcid[0] < _flows.Count ? _flows[dcid[0]] : null;
        }
        return datagram[1] < _flows.Count ? _flows[datagram[1]] : null;
    }

    private void DrainEvents()
    {
        foreach (BottleneckFlow flow in _flows)
        {
            if (flow.Client is not { } client) continue;
            QuicConnectionCore server = flow.Server!;
            while (client.PollEvent(out ConnectionEvent e))
            {
                if (e.Kind == ConnectionEventKind.Closed) flow.Error ??= $"client closed: {e}";
            }
            while (server.PollEvent(out ConnectionEvent e))
            {
                switch (e.Kind)
                {
                    case ConnectionEventKind.StreamReadable:
                        while (true)
                        {
                            ReadOnlySpan<byte> data = server.PeekStream(e.StreamId, out _);
                            if (data.IsEmpty) break;
                            flow.BytesRead += data.Length;
                            server.ConsumeStream(e.StreamId, data.Length);
                        }
                        break;
                    case ConnectionEventKind.Closed:
                        flow.Error ??= $"server closed: {e}";
                        break;
                }
            }
        }
    }

    private void BeginMeasuring()
    {
        _measuring = true;
        foreach (BottleneckFlow flow in _flows)
        {
            flow.ReadAtMeasureStart = flow.BytesRead;
            if (flow.Client is not { } client) continue;
            ConnectionStatistics s = client.GetStatistics();
            flow.SentAtMeasureStart = s.StreamBytesSent;
            flow.RetransmittedAtMeasureStart = s.StreamBytesRetransmitted;
        }
    }

    private void Sample(TimeSpan interval)
    {
        double seconds = (_now - _start).TotalSeconds;
        foreach (BottleneckFlow flow in _flows)
        {
            if (flow.Client is not { } client) continue;
            ConnectionStatistics s = client.GetStatistics();
            long arrived = flow.Server!.GetStatistics().BytesReceived;
            double rate = (arrived - flow.ArrivedAtLastSample) * 8 / interval.TotalSeconds;
            flow.ArrivedAtLastSample = arrived;
            flow.Samples.Add((seconds, s.CongestionWindow, s.BytesInFlight, rate));
        }
    }

    private static X509Certificate2 CreateCertificate()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }
}
