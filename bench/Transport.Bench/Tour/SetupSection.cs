using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Transport.Bench.Link;
using Transport.Quic;
using Transport.Quic.Connection;
using Transport.Quic.Tls;

namespace Transport.Bench.Tour;

/// <summary>
/// The connection-setup question: how long from "connect" to the first byte echoed back, over an emulated path of
/// 20, 50 and 100 ms RTT (<see cref="NamespaceLink"/>: two network namespaces and a userspace forwarder, 1 Gbit/s, no
/// loss). Kernel TCP (3-way handshake, then the request), TCP + TLS 1.3 (full handshake, no resumption), Transport QUIC
/// with a full 1-RTT handshake, and Transport QUIC with 0-RTT (resumption with early data: the request goes in the
/// first flight; each sample uses the ticket the previous connection received). Each sample is a new connection;
/// figures are medians. The client runs in namespace A, the servers in B; every socket is created inside its
/// namespace (see the Link README). Needs root, iproute2 and /dev/net/tun; otherwise every row says why not.
/// </summary>
internal static class SetupSection
{
    public const string Name = "setup";

    private static readonly int[] RttsMs = [20, 50, 100];
    private static readonly SslApplicationProtocol Alpn = new("transport-tour");
    private const string TcpName = "kernel TCP";
    private const string TlsName = "TCP+TLS 1.3";
    private const string QuicName = "Transport QUIC";
    private const string ZeroRttName = "Transport QUIC, 0-RTT";

    public static async Task<List<TourTable>> RunAsync(TourContext context)
    {
        var metrics = RttsMs.Select(r => new TourMetric($"TTFB at {r} ms RTT", "ms", HigherIsBetter: false, Decimals: 1)).ToList();
        int samples = context.Options.Quick ? 3 : 7;
        var table = new TourTable(Name, "setup-ttfb", "Time to first byte over an emulated path",
            $"New connection, write 1 byte, read its echo; median of {samples} connections per cell, over a userspace-emulated path " +
            "(network namespaces + TUN forwarder, 1 Gbit/s, no loss) at each RTT. Note: the same times in RTTs (median / RTT).",
            metrics);
        string[] names = [TcpName, TlsName, QuicName, ZeroRttName];
        if (!NamespaceLink.IsSupported(out string why))
        {
            foreach (string n in names) table.Row(n).Unavailable = $"no emulated path here: {why}";
            return [table];
        }
        var notes = names.ToDictionary(n => n, _ => new List<string>());
        using var certificate = CreateCertificate();
        byte[] pin = TlsClientOptions.ComputeCertificatePin(certificate);
        var ticketKeys = new TlsSessionTicketKeys();
        foreach (int rttMs in RttsMs)
        {
            var rtt = TimeSpan.FromMilliseconds(rttMs);
            var path = LinkTool.PathConditions(rtt, 1_000_000_000, 0);
            using var link = new NamespaceLink(path, path);
            foreach (string name in names)
            {
                context.Progress.Report($"setup: {name} at {rttMs} ms RTT");
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                TourRow row = table.Row(name);
                try
                {
                    List<double> ms = name switch
                    {
                        TcpName => await TcpAsync(link, tls: false, certificate, samples, cts.Token).ConfigureAwait(false),
                        TlsName => await TcpAsync(link, tls: true, certificate, samples, cts.Token).ConfigureAwait(false),
                        _ => await QuicAsync(link, zeroRtt: name == ZeroRttName, certificate, pin, ticketKeys, samples, cts.Token).ConfigureAwait(false),
                    };
                    ms.Sort();
                    double median = ms[ms.Count / 2];
                    row.Values[$"TTFB at {rttMs} ms RTT"] = median;
                    notes[name].Add((median / rttMs).ToString("0.0", CultureInfo.InvariantCulture));
                }
                catch (Exception ex)
                {
                    row.Error = $"{rttMs} ms RTT: {ex.GetType().Name}: {ex.Message}";
                }
            }
        }
        foreach (string n in names)
        {
            TourRow row = table.Row(n);
            if (row.Error is null) row.Note = string.Join(" / ", notes[n]) + " RTT";
        }
        return [table];
    }

    private static async Task<List<double>> TcpAsync(NamespaceLink link, bool tls, X509Certificate2 certificate, int samples, CancellationToken ct)
    {
        using Socket listener = link.CreateSocket(LinkSide.B, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(NamespaceLink.AddressB, 0));
        listener.Listen(64);
        var serverEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        var serverOptions = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true),
            EnabledSslProtocols = SslProtocols.Tls13,
            ApplicationProtocols = [Alpn],
            AllowTlsResume = false,
        };
        Task server = Task.Run(async () =>
        {
            for (int i = 0; i < samples; i++)
            {
                using Socket s = await listener.AcceptAsync(ct).ConfigureAwait(false);
                s.NoDelay = true;
                Stream stream = new NetworkStream(s, ownsSocket: false);
                if (tls)
                {
                    var ssl = new SslStream(stream);
                    await ssl.AuthenticateAsServerAsync(serverOptions, ct).ConfigureAwait(false);
                    stream = ssl;
                }
                await using (stream)
                {
                    var one = new byte[1];
                    await stream.ReadExactlyAsync(one, ct).ConfigureAwait(false);
                    await stream.WriteAsync(one, ct).ConfigureAwait(false);
                    await stream.FlushAsync(ct).ConfigureAwait(false);
                    while (await stream.ReadAsync(one, ct).ConfigureAwait(false) > 0) { }
                }
            }
        }, ct);
        var times = new List<double>();
        string thumbprint = certificate.GetCertHashString();
        for (int i = 0; i < samples; i++)
        {
            using Socket client = link.CreateSocket(LinkSide.A, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.NoDelay = true;
            long t0 = Stopwatch.GetTimestamp();
            await client.ConnectAsync(serverEndPoint, ct).ConfigureAwait(false);
            Stream stream = new NetworkStream(client, ownsSocket: false);
            if (tls)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    EnabledSslProtocols = SslProtocols.Tls13,
                    ApplicationProtocols = [Alpn],
                    AllowTlsResume = false,
                    RemoteCertificateValidationCallback = (_, c, _, _) => c is not null && c.GetCertHashString() == thumbprint,
                }, ct).ConfigureAwait(false);
                stream = ssl;
            }
            var one = new byte[] { 42 };
            await stream.WriteAsync(one, ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
            await stream.ReadExactlyAsync(one, ct).ConfigureAwait(false);
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            await stream.DisposeAsync().ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Both);
        }
        await server.ConfigureAwait(false);
        return times;
    }

    private static async Task<List<double>> QuicAsync(NamespaceLink link, bool zeroRtt, X509Certificate2 certificate, byte[] pin,
        TlsSessionTicketKeys ticketKeys, int samples, CancellationToken ct)
    {
        var serverOptions = new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(NamespaceLink.AddressB, 0),
            ServerConnectionOptions = new ConnectionOptions
            {
                ServerTls = new TlsServerOptions
                {
                    ServerCertificate = certificate,
                    ApplicationProtocols = [Alpn],
                    SessionTicketKeys = ticketKeys,
                    EnableEarlyData = zeroRtt,
                },
                MaxDatagramSize = TransportQuicContender.MaxDatagramSize,
            },
        };
        // The listener's socket (and its threads) are made inside namespace B; ListenAsync completes synchronously.
        QuicListener listener = link.Run(LinkSide.B, () => QuicListener.ListenAsync(serverOptions).AsTask().GetAwaiter().GetResult());
        await using (listener.ConfigureAwait(false))
        {
            int connections = zeroRtt ? samples + 1 : samples;
            Task server = Task.Run(async () =>
            {
                var serving = new List<Task>();
                for (int i = 0; i < connections; i++)
                {
                    QuicConnection c = await listener.AcceptConnectionAsync(ct).ConfigureAwait(false);
                    serving.Add(Task.Run(async () =>
                    {
                        await using (c.ConfigureAwait(false))
                        {
                            // Echo streams until the client closes the connection (it still waits for its ticket).
                            try
                            {
                                while (true)
                                {
                                    await using QuicStream s = await c.AcceptInboundStreamAsync(ct).ConfigureAwait(false);
                                    var one = new byte[1];
                                    await s.ReadExactlyAsync(one, ct).ConfigureAwait(false);
                                    await s.WriteAsync(one, completeWrites: true, ct).ConfigureAwait(false);
                                    while (await s.ReadAsync(one, ct).ConfigureAwait(false) > 0) { }
                                }
                            }
                            catch (QuicException)
                            {
                            }
                        }
                    }, ct));
                }
                await Task.WhenAll(serving).ConfigureAwait(false);
            }, ct);
            var remote = new IPEndPoint(NamespaceLink.AddressB, listener.LocalEndPoint.Port);
            TlsSessionTicket? ticket = null;
            if (zeroRtt)
            {
                // A first, untimed connection gives the ticket.
                QuicConnection first = await Connect(link, remote, pin, null, ct).ConfigureAwait(false);
                await using (first.ConfigureAwait(false))
                {
                    await using (QuicStream s = await first.OpenOutboundStreamAsync(true, ct).ConfigureAwait(false))
                    {
                        await s.WriteAsync(new byte[] { 1 }, completeWrites: true, ct).ConfigureAwait(false);
                        await s.ReadExactlyAsync(new byte[1], ct).ConfigureAwait(false);
                    }
                    ticket = await first.WaitForSessionTicketAsync(ct).ConfigureAwait(false);
                    await first.CloseAsync(0, ct).ConfigureAwait(false);
                }
            }
            var times = new List<double>();
            int accepted = 0;
            for (int i = 0; i < samples; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                QuicConnection c = await Connect(link, remote, pin, ticket, ct).ConfigureAwait(false);
                await using (c.ConfigureAwait(false))
                {
                    await using (QuicStream s = await c.OpenOutboundStreamAsync(true, ct).ConfigureAwait(false))
                    {
                        var one = new byte[] { 42 };
                        await s.WriteAsync(one, completeWrites: true, ct).ConfigureAwait(false);
                        await s.ReadExactlyAsync(one, ct).ConfigureAwait(false);
                        times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    }
                    if (zeroRtt)
                    {
                        if (await c.EarlyDataAccepted.WaitAsync(ct).ConfigureAwait(false)) accepted++;
                        ticket = await c.WaitForSessionTicketAsync(ct).ConfigureAwait(false);
                    }
                    await c.CloseAsync(0, ct).ConfigureAwait(false);
                }
            }
            await server.WaitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            if (zeroRtt && accepted < samples) throw new InvalidOperationException($"early data accepted on {accepted} of {samples} connections");
            return times;
        }
    }

    /// <summary>The client's socket (and its endpoint threads) are made inside namespace A: the synchronous part of ConnectAsync binds it.</summary>
    private static async Task<QuicConnection> Connect(NamespaceLink link, IPEndPoint remote, byte[] pin, TlsSessionTicket? ticket, CancellationToken ct)
    {
        var options = new QuicClientConnectionOptions
        {
            RemoteEndPoint = remote,
            ConnectionOptions = new ConnectionOptions
            {
                ClientTls = new TlsClientOptions
                {
                    ServerName = "localhost",
                    ApplicationProtocols = [Alpn],
                    PinnedCertificateSha256 = [pin],
                    SessionTicket = ticket,
                    EnableEarlyData = ticket is not null,
                },
                MaxDatagramSize = TransportQuicContender.MaxDatagramSize,
            },
            AllowEarlyData = ticket is not null,
            LocalEndPoint = new IPEndPoint(NamespaceLink.AddressA, 0),
        };
        ValueTask<QuicConnection> pending = link.Run(LinkSide.A, () => QuicConnection.ConnectAsync(options, ct));
        return await pending.ConfigureAwait(false);
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
