using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Transport.Core.Time;
using Transport.Quic.Connection;
using Transport.Quic.Tls;

namespace Transport.Bench.Quic;

/// <summary>
/// A client and a server <see cref="QuicConnectionCore"/> wired back to back in memory: each datagram the one emits is
/// handed straight to the other's <c>HandleDatagram</c> (no simulator, no socket, no queue). Time is virtual: it
/// advances by the serialization time of every datagram on an ideal link of <see cref="LinkBitsPerSecond"/>, and jumps
/// to the next timer when neither side can send. The client sends one bidirectional stream; the server reads it into a
/// fixed buffer. Everything outside the two connections (the feed, the reads, the loop) allocates nothing, so the
/// allocation counters measure the connections alone.
/// </summary>
internal sealed class InMemoryConnectionPair : IDisposable
{
    private static readonly SslApplicationProtocol Alpn = new("bench");
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Loopback, 50000);
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Loopback, 4433);
    private static X509Certificate2? s_certificate;

    private readonly byte[] _datagram = new byte[65536];
    private readonly byte[] _feed = new byte[65536];
    private readonly byte[] _read = new byte[65536];
    private long _streamId = -1;
    private long _written;

    /// <summary>Creates both connections and completes the handshake (both sides confirmed).</summary>
    public InMemoryConnectionPair(int maxDatagramSize = 1452, long linkBitsPerSecond = 40_000_000_000, bool pathMtuDiscovery = true)
    {
        s_certificate ??= CreateCertificate();
        LinkBitsPerSecond = linkBitsPerSecond;
        Now = Instant.FromMilliseconds(1_000);
        var clientOptions = new ConnectionOptions
        {
            ClientTls = new TlsClientOptions
            {
                ServerName = "bench.example",
                ApplicationProtocols = [Alpn],
                PinnedCertificateSha256 = [TlsClientOptions.ComputeCertificatePin(s_certificate)],
            },
            MaxDatagramSize = maxDatagramSize,
            IdleTimeout = TimeSpan.FromHours(1),
            EnablePathMtuDiscovery = pathMtuDiscovery,
        };
        var serverOptions = new ConnectionOptions
        {
            ServerTls = new TlsServerOptions { ServerCertificate = s_certificate, ApplicationProtocols = [Alpn] },
            MaxDatagramSize = maxDatagramSize,
            IdleTimeout = TimeSpan.FromHours(1),
            EnablePathMtuDiscovery = pathMtuDiscovery,
        };
        Client = QuicConnectionCore.CreateClient(clientOptions, ServerAddress, Now);
        Server = QuicConnectionCore.CreateServer(serverOptions, ClientAddress, Client.OriginalDestinationConnectionId, Now);
        for (int i = 0; i < 10_000 && !(Client.IsHandshakeConfirmed && Server.IsHandshakeConfirmed); i++)
        {
            if (!Step()) AdvanceToNextTimeout();
        }
        if (!Client.IsHandshakeConfirmed || !Server.IsHandshakeConfirmed)
            throw new InvalidOperationException("The in-memory handshake did not complete.");
        if (!Client.TryOpenStream(bidirectional: true, out _streamId))
            throw new InvalidOperationException("Could not open a stream.");
    }

    public QuicConnectionCore Client { get; }
    public QuicConnectionCore Server { get; }
    public Instant Now { get; private set; }
    public long LinkBitsPerSecond { get; }

    /// <summary>Stream bytes the server application has read.</summary>
    public long BytesRead { get; private set; }

    /// <summary>Datagrams each side emitted (one 1-RTT packet each in steady state).</summary>
    public long ClientDatagrams { get; private set; }

    /// <inheritdoc cref="ClientDatagrams"/>
    public long ServerDatagrams { get; private set; }

    /// <summary>Bytes allocated on this thread inside PollTransmit (both sides), when <see cref="MeasureAllocationsPerCall"/>.</summary>
    public long TransmitAllocated { get; private set; }

    /// <summary>Bytes allocated on this thread inside HandleDatagram (both sides), when <see cref="MeasureAllocationsPerCall"/>.</summary>
    public long ReceiveAllocated { get; private set; }

    /// <summary>Bracket every PollTransmit / HandleDatagram with allocation counters (a few ns per call).</summary>
    public bool MeasureAllocationsPerCall { get; set; }

    /// <summary>
    /// How many datagrams one side may emit before the other side gets its turn (a receive batch, as with GRO or
    /// recvmmsg: the receiver acknowledges after each batch). Default 16.
    /// </summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>How many bytes the sender keeps queued in its stream send buffer ahead of what it sent.</summary>
    public long SendBufferTarget { get; set; } = 4 << 20;

    /// <summary>Moves <paramref name="bytes"/> more stream bytes from client to server; false if it stalled.</summary>
    public bool Transfer(long bytes)
    {
        long target = BytesRead + bytes;
        long writeTarget = _written + bytes;
        int idle = 0;
        while (BytesRead < target)
        {
            Feed(writeTarget);
            if (Step())
            {
                idle = 0;
                continue;
            }
            if (++idle > 1000 || !AdvanceToNextTimeout()) return false;
        }
        return true;
    }

    private void Feed(long writeTarget)
    {
        while (_written < writeTarget && Client.GetStreamBufferedBytes(_streamId) < SendBufferTarget)
        {
            int n = (int)Math.Min(_feed.Length, writeTarget - _written);
            Client.WriteStream(_streamId, _feed.AsSpan(0, n));
            _written += n;
        }
    }

    /// <summary>One round: the client sends what it may (each datagram handled by the server at once), the server reads and answers.</summary>
    private bool Step()
    {
        bool progress = Flush(Client, Server, fromClient: true);
        DrainEvents(Server, isServer: true);
        progress |= Flush(Server, Client, fromClient: false);
        DrainEvents(Client, isServer: false);
        return progress;
    }

    private bool Flush(QuicConnectionCore from, QuicConnectionCore to, bool fromClient)
    {
        bool any = false;
        IPEndPoint source = fromClient ? ClientAddress : ServerAddress;
        for (int i = 0; i < BatchSize; i++)
        {
            int n;
            if (MeasureAllocationsPerCall)
            {
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                n = from.PollTransmit(Now, _datagram, out _);
                TransmitAllocated += GC.GetAllocatedBytesForCurrentThread() - a0;
            }
            else
            {
                n = from.PollTransmit(Now, _datagram, out _);
            }
            if (n == 0) break;
            any = true;
            if (fromClient) ClientDatagrams++;
            else ServerDatagrams++;
            // The ideal link: the datagram arrives after its serialization time.
            Now += TimeSpan.FromTicks(Math.Max(1, n * 8L * TimeSpan.TicksPerSecond / LinkBitsPerSecond));
            if (MeasureAllocationsPerCall)
            {
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                to.HandleDatagram(Now, source, _datagram.AsSpan(0, n));
                ReceiveAllocated += GC.GetAllocatedBytesForCurrentThread() - a0;
            }
            else
            {
                to.HandleDatagram(Now, source, _datagram.AsSpan(0, n));
            }
        }
        return any;
    }

    private void DrainEvents(QuicConnectionCore connection, bool isServer)
    {
        while (connection.PollEvent(out ConnectionEvent e))
        {
            if (e.Kind == ConnectionEventKind.Closed) throw new InvalidOperationException($"Connection closed: {e}");
            if (isServer && e.Kind == ConnectionEventKind.StreamReadable) ReadAll(connection, e.StreamId);
        }
    }

    private void ReadAll(QuicConnectionCore server, long streamId)
    {
        while (true)
        {
            int n = server.ReadStream(streamId, _read, out bool finished);
            BytesRead += n;
            if (n == 0 || finished) break;
        }
    }

    private bool AdvanceToNextTimeout()
    {
        Instant? c = Client.NextTimeout(), s = Server.NextTimeout();
        Instant? next = c is { } x ? (s is { } y ? Instant.Min(x, y) : x) : s;
        if (next is not { } t) return false;
        if (t > Now) Now = t;
        if (Client.NextTimeout() is { } ct && ct <= Now) Client.HandleTimeout(Now);
        if (Server.NextTimeout() is { } st && st <= Now) Server.HandleTimeout(Now);
        return true;
    }

    private static X509Certificate2 CreateCertificate()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=bench.example", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("bench.example");
        request.CertificateExtensions.Add(san.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
