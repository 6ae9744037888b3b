using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Transport.Interop.Hq;
using Transport.Interop.Http3;
using Transport.Interop.Peers;
using Transport.Quic;
using Transport.Quic.Connection;
using Transport.Quic.Qlog;
using Transport.Quic.Tls;

namespace Transport.Interop.Endpoint;

/// <summary>
/// The runner's client role over our public API: fetches REQUESTS into DOWNLOADS with hq-interop or HTTP/3 (by the
/// test case, or the ALPN override), spreading them over connections as the test case prescribes.
/// </summary>
public static class InteropClient
{
    /// <summary>How long the first connection of resumption/zerortt waits for a session ticket (quic-go waits 10 s).</summary>
    private static readonly TimeSpan TicketWait = TimeSpan.FromSeconds(10);

    /// <summary>Runs the client; 0 when every file was downloaded, 1 otherwise. <paramref name="log"/> gets progress lines.</summary>
    public static async Task<int> RunAsync(EndpointConfig config, InteropTestCase testCase, TextWriter log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(testCase);
        ArgumentNullException.ThrowIfNull(log);
        if (config.Requests.Count == 0)
        {
            log.WriteLine("client: REQUESTS is empty.");
            return 1;
        }
        Directory.CreateDirectory(config.Downloads);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(config.Timeout);
        var started = Stopwatch.StartNew();
        try
        {
            IPEndPoint remote = await ResolveAsync(config, config.Requests[0], timeout.Token).ConfigureAwait(false);
            string alpn = config.Alpn ?? testCase.Alpn;
            log.WriteLine($"client: {testCase.Name}, {config.Requests.Count} request(s) to {remote} with ALPN {alpn}");
            bool ok = testCase.Shape switch
            {
                ClientShape.OnePerUrl => await OnePerUrlAsync(config, testCase, remote, alpn, log, timeout.Token).ConfigureAwait(false),
                ClientShape.FirstThenRest => await FirstThenRestAsync(config, testCase, remote, alpn, log, timeout.Token).ConfigureAwait(false),
                _ => await FetchAsync(config, testCase, remote, alpn, config.Requests, null, log, timeout.Token).ConfigureAwait(false) is not null,
            };
            log.WriteLine($"client: {(ok ? "done" : "FAILED")} in {started.Elapsed.TotalMilliseconds:F0} ms");
            return ok ? 0 : 1;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            log.WriteLine($"client: timed out after {config.Timeout.TotalSeconds:F0} s");
            return 1;
        }
        catch (Exception e) when (e is QuicException or SocketException or IOException or ArgumentException or InvalidOperationException)
        {
            log.WriteLine($"client: failed: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    /// <summary>The client connection options for <paramref name="testCase"/> with SNI <paramref name="serverName"/>.</summary>
    public static ConnectionOptions CreateConnectionOptions(EndpointConfig config, InteropTestCase testCase, string alpn, string serverName,
        TlsSessionTicket? ticket = null)
    {
        var tls = new TlsClientOptions
        {
            ServerName = serverName,
            ApplicationProtocols = [new SslApplicationProtocol(alpn)],
            DangerousAcceptAnyServerCertificate = true, // the runner's clients do not verify (TESTCASES.md §2)
            KeyLog = config.KeyLogFile is null ? null : TlsKeyLog.ToFile(config.KeyLogFile),
            SessionTicket = ticket,
            EnableEarlyData = ticket is not null && testCase.EarlyData,
        };
        if (testCase.ChaCha20Only) tls.CipherSuites = [CipherSuite.ChaCha20Poly1305Sha256];
        var options = new ConnectionOptions { ClientTls = tls };
        // RFC 9001 §6: update every 8 packets sent. quic-go uses 100, but a downloading client sends few packets (mostly
        // ACKs, which our endpoint coalesces per receive batch), and the runner wants Key Phase 1 within the first MB.
        if (testCase.KeyUpdate) options.KeyUpdateIntervalPackets = 8;
        if (testCase.LongTimeouts) options.IdleTimeout = TimeSpan.FromSeconds(180);
        if (testCase.Ecn) options.EnableEcn = true;
        options.EnablePathMtuDiscovery = testCase.PathMtuDiscovery;
        // A client waiting for a download receives nothing after a NAT rebinding that lands while only the server sends:
        // the server's datagrams to the old mapping are dropped, and a client with nothing to acknowledge never opens the
        // new one (the runner's rebind cases; a 30 s idle timeout was the result). A PING after 1 s of silence does.
        options.KeepAliveInterval = TimeSpan.FromSeconds(1);
        if (config.QlogDirectory is not null) options.Qlog = new QlogFileFactory(config.QlogDirectory);
        return options;
    }

    private static async Task<bool> OnePerUrlAsync(EndpointConfig config, InteropTestCase testCase, IPEndPoint remote, string alpn,
        TextWriter log, CancellationToken cancellationToken)
    {
        bool ok = true;
        foreach (Uri url in config.Requests)
            ok &= await FetchAsync(config, testCase, remote, alpn, [url], null, log, cancellationToken).ConfigureAwait(false) is not null;
        return ok;
    }

    private static async Task<bool> FirstThenRestAsync(EndpointConfig config, InteropTestCase testCase, IPEndPoint remote, string alpn,
        TextWriter log, CancellationToken cancellationToken)
    {
        Fetched? first = await FetchAsync(config, testCase, remote, alpn, [config.Requests[0]], null, log, cancellationToken, waitForTicket: true)
            .ConfigureAwait(false);
        if (first is null) return false;
        if (config.Requests.Count == 1) return true;
        if (first.Ticket is null) log.WriteLine("client: no session ticket arrived; the second connection does a full handshake");
        Fetched? rest = await FetchAsync(config, testCase, remote, alpn, config.Requests.Skip(1).ToList(), first.Ticket, log, cancellationToken)
            .ConfigureAwait(false);
        return rest is not null;
    }

    private sealed record Fetched(TlsSessionTicket? Ticket);

    /// <summary>One connection fetching <paramref name="urls"/> in parallel; null when anything failed.</summary>
    private static async Task<Fetched?> FetchAsync(EndpointConfig config, InteropTestCase testCase, IPEndPoint remote, string alpn,
        IReadOnlyList<Uri> urls, TlsSessionTicket? ticket, TextWriter log, CancellationToken cancellationToken, bool waitForTicket = false)
    {
        string host = urls[0].IdnHost;
        var started = Stopwatch.StartNew();
        await using QuicConnection connection = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = remote,
            ConnectionOptions = CreateConnectionOptions(config, testCase, alpn, host, ticket),
            AllowEarlyData = ticket is not null && testCase.EarlyData, // requests leave in 0-RTT (RFC 9001 §4.6.1)
        }, cancellationToken).ConfigureAwait(false);
        log.WriteLine($"client: connected to {remote} in {started.Elapsed.TotalMilliseconds:F0} ms{(ticket is null ? "" : " (resuming)")}");
        var h3 = new QuicH3Connection(connection);
        DownloadResult[] results;
        if (alpn == InteropTestCase.H3)
        {
            var client = new Http3Client(h3);
            await client.StartAsync(cancellationToken).ConfigureAwait(false);
            results = await client.DownloadAllAsync(urls, config.Downloads, cancellationToken).ConfigureAwait(false);
            if (waitForTicket) ticket = await WaitForTicketAsync(connection, cancellationToken).ConfigureAwait(false);
            await client.CloseAsync().ConfigureAwait(false);
        }
        else
        {
            results = await HqClient.DownloadAllAsync(h3, urls, config.Downloads, cancellationToken).ConfigureAwait(false);
            if (waitForTicket) ticket = await WaitForTicketAsync(connection, cancellationToken).ConfigureAwait(false);
            await h3.CloseAsync(HqErrorCode.NoError, cancellationToken).ConfigureAwait(false);
        }
        bool ok = true;
        foreach (DownloadResult r in results)
        {
            if (r.Success) continue;
            ok = false;
            log.WriteLine($"client: {r.Url} failed: {r.Error}");
        }
        log.WriteLine($"client: {results.Count(r => r.Success)}/{results.Length} file(s) in {started.Elapsed.TotalMilliseconds:F0} ms"
            + (ticket is not null && testCase.EarlyData ? $", early data {connection.EarlyDataStatus}" : "")
            + (testCase.Ecn ? $", ECN {connection.GetStatistics().EcnState}" : ""));
        return ok ? new Fetched(waitForTicket ? ticket : null) : null;
    }

    private static async Task<TlsSessionTicket?> WaitForTicketAsync(QuicConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            return await connection.WaitForSessionTicketAsync(cancellationToken).AsTask().WaitAsync(TicketWait, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or QuicException)
        {
            return null;
        }
    }

    /// <summary>
    /// The address to dial: CONNECT_TO when set, else the URL's host and port. Runner names that do not resolve here
    /// (server4, server6, server46) stand for the loopback addresses, so that the same REQUESTS work on one machine.
    /// </summary>
    public static async Task<IPEndPoint> ResolveAsync(EndpointConfig config, Uri url, CancellationToken cancellationToken)
    {
        string host = url.IdnHost;
        int port = url.IsDefaultPort ? 443 : url.Port;
        if (config.ConnectTo is { } connectTo)
        {
            if (IPEndPoint.TryParse(connectTo, out IPEndPoint? literal) && literal.Port != 0) return literal;
            int colon = connectTo.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(connectTo.AsSpan(colon + 1), out port))
                throw new ArgumentException($"CONNECT_TO: '{connectTo}' is not host:port.");
            host = connectTo[..colon].Trim('[', ']');
        }
        if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? ip)) return new IPEndPoint(ip, port);
        AddressFamily preferred = host == "server6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            IPAddress? pick = addresses.FirstOrDefault(a => a.AddressFamily == preferred) ?? addresses.FirstOrDefault();
            if (pick is not null) return new IPEndPoint(pick, port);
        }
        catch (SocketException) { /* not resolvable: maybe a runner name */ }
        IPAddress loopback = Ngtcp2InteropEndpoint.LoopbackFor(host) ?? throw new ArgumentException($"Cannot resolve host '{host}'.");
        return new IPEndPoint(loopback, port);
    }
}
