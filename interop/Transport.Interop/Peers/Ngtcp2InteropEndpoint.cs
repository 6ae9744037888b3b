using System.Net;
using System.Net.Sockets;

namespace Transport.Interop.Peers;

/// <summary>
/// ngtcp2 as a QUIC Interop Runner endpoint (TESTCASES.md §2, §3): the gtlsserver/gtlsclient flags for each TESTCASE
/// value, after ngtcp2's own interop/run_endpoint.sh, adapted to Debian's 0.12 (HTTP/3 only; GnuTLS priority strings;
/// no <c>--wait-for-ticket</c>, no final QUIC v2). See Peers/README.md for the table and the reasons.
/// </summary>
public static class Ngtcp2InteropEndpoint
{
    /// <summary>TESTCASE values the server side supports.</summary>
    public static readonly IReadOnlyList<string> ServerTestCases =
        ["handshake", "transfer", "retry", "resumption", "zerortt", "http3", "multiconnect", "chacha20", "keyupdate", "ecn",
         "connectionmigration", "versionnegotiation"];

    /// <summary>TESTCASE values the client side supports.</summary>
    public static readonly IReadOnlyList<string> ClientTestCases =
        ["handshake", "transfer", "retry", "resumption", "zerortt", "http3", "multiconnect", "chacha20", "keyupdate", "ecn",
         "versionnegotiation"];

    /// <summary>The runner's host names and the loopback address each stands for here.</summary>
    public static IPAddress? LoopbackFor(string host) => host switch
    {
        "server4" or "server46" or "server" or "localhost" => IPAddress.Loopback,
        "server6" => IPAddress.IPv6Loopback,
        _ => IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? a) ? a : null,
    };

    /// <summary>
    /// Applies the server flags for <paramref name="testCase"/> to <paramref name="options"/>; false (options
    /// untouched) when gtlsserver cannot do the test case (the runner's exit 127). For connectionmigration a free
    /// port on the same address becomes the preferred address.
    /// </summary>
    public static bool TryConfigureServer(string testCase, Ngtcp2ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(testCase);
        ArgumentNullException.ThrowIfNull(options);
        if (!ServerTestCases.Contains(testCase)) return false;
        options.CongestionController = "bbr2";
        options.InitialRtt = TimeSpan.FromMilliseconds(100);
        switch (testCase)
        {
            case "retry":
                options.ValidateAddress = true;
                break;
            case "multiconnect":
                options.IdleTimeout = TimeSpan.FromSeconds(180);
                options.HandshakeTimeout = TimeSpan.FromSeconds(180);
                break;
            case "chacha20":
                options.Ciphers = Ngtcp2.ChaCha20Only;
                break;
            case "ecn":
                options.NoPmtud = true;
                break;
            case "connectionmigration":
                var preferred = new IPEndPoint(options.Address, UdpPorts.GetFree(options.Address));
                if (options.Address.AddressFamily == AddressFamily.InterNetworkV6) options.PreferredIPv6Address = preferred;
                else options.PreferredIPv4Address = preferred;
                break;
        }
        return true;
    }

    /// <summary>How the client splits its requests for <paramref name="testCase"/>.</summary>
    public static Ngtcp2ClientShape ClientShape(string testCase) => testCase switch
    {
        _ when !ClientTestCases.Contains(testCase) => Ngtcp2ClientShape.Unsupported,
        "resumption" or "zerortt" => Ngtcp2ClientShape.FirstThenRest,
        "multiconnect" => Ngtcp2ClientShape.OnePerUrl,
        _ => Ngtcp2ClientShape.OneConnection,
    };

    /// <summary>
    /// Applies the client flags for <paramref name="testCase"/> (not the session files, which
    /// <see cref="RunClientAsync"/> adds); false (options untouched) when unsupported.
    /// </summary>
    public static bool TryConfigureClient(string testCase, Ngtcp2ClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(testCase);
        ArgumentNullException.ThrowIfNull(options);
        if (ClientShape(testCase) == Ngtcp2ClientShape.Unsupported) return false;
        options.ExitOnAllStreamsClose = true;
        options.CongestionController = "bbr2";
        options.InitialRtt = TimeSpan.FromMilliseconds(100);
        switch (testCase)
        {
            case "versionnegotiation":
                options.Version = "0xaaaaaaaa";
                break;
            case "chacha20":
                options.Ciphers = Ngtcp2.ChaCha20Only;
                break;
            case "keyupdate":
                options.DelayStream = TimeSpan.FromMilliseconds(10);
                options.KeyUpdateAfter = TimeSpan.FromMilliseconds(1);
                break;
            case "ecn":
            case "zerortt":
                options.NoPmtud = true;
                break;
            case "resumption":
                options.DisableEarlyData = true;
                break;
            case "multiconnect":
                options.IdleTimeout = TimeSpan.FromSeconds(180);
                options.HandshakeTimeout = TimeSpan.FromSeconds(180);
                break;
        }
        return true;
    }

    /// <summary>
    /// Runs the client side of <paramref name="testCase"/> for <paramref name="requests"/> (the runner's REQUESTS),
    /// starting from <paramref name="template"/> (DownloadDirectory, RunDirectory, Port and Deadline per run are
    /// taken from it; when the template leaves Host empty it is derived from the first URL's host with
    /// <see cref="DialHost"/>: server4/server46 go to 127.0.0.1 and server6 to ::1). Session and transport-parameter
    /// files go to RunDirectory, never to the download directory.
    /// </summary>
    public static async Task<Ngtcp2InteropClientResult> RunClientAsync(string testCase, IReadOnlyList<string> requests,
        Ngtcp2ClientOptions template, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(testCase);
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(template);
        Ngtcp2ClientShape shape = ClientShape(testCase);
        if (shape == Ngtcp2ClientShape.Unsupported) return new Ngtcp2InteropClientResult(testCase, shape, []);
        if (requests.Count == 0) throw new ArgumentException("REQUESTS is empty.", nameof(requests));
        if (string.IsNullOrEmpty(template.RunDirectory)) throw new ArgumentException("RunDirectory is required.", nameof(template));

        Ngtcp2ClientOptions baseOptions = template.Clone();
        baseOptions.Urls.Clear();
        TryConfigureClient(testCase, baseOptions);
        if (string.IsNullOrEmpty(baseOptions.Host))
        {
            if (!Uri.TryCreate(requests[0], UriKind.Absolute, out Uri? first))
                throw new ArgumentException($"'{requests[0]}' is not an absolute URL.", nameof(requests));
            baseOptions.Host = DialHost(first.Host)
                ?? throw new ArgumentException($"Host '{first.Host}' is neither a runner name nor an IP literal.", nameof(requests));
        }

        var runs = new List<Ngtcp2ClientRun>();
        switch (shape)
        {
            case Ngtcp2ClientShape.OneConnection:
                runs.Add(await RunAsync(baseOptions, requests, "client", cancellationToken).ConfigureAwait(false));
                break;
            case Ngtcp2ClientShape.FirstThenRest:
                baseOptions.SessionFile ??= Path.Combine(baseOptions.RunDirectory, "session.txt");
                baseOptions.TransportParametersFile ??= Path.Combine(baseOptions.RunDirectory, "tp.txt");
                runs.Add(await RunAsync(baseOptions, [requests[0]], "client1", cancellationToken).ConfigureAwait(false));
                if (requests.Count > 1)
                    runs.Add(await RunAsync(baseOptions, requests.Skip(1).ToList(), "client2", cancellationToken).ConfigureAwait(false));
                break;
            case Ngtcp2ClientShape.OnePerUrl:
                for (int i = 0; i < requests.Count; i++)
                    runs.Add(await RunAsync(baseOptions, [requests[i]], $"client{i + 1}", cancellationToken).ConfigureAwait(false));
                break;
        }
        return new Ngtcp2InteropClientResult(testCase, shape, runs);
    }

    /// <summary>
    /// The HOST argument for a URL host: the name itself when it resolves to the loopback address it stands for (e.g.
    /// hosts entries for server4/server6 were added), so that it is also the SNI; otherwise the loopback IP literal
    /// (gtlsclient 0.12 then sends SNI "localhost", which the test certificate also names; its --sni flag is ignored).
    /// Null for an unknown name.
    /// </summary>
    public static string? DialHost(string urlHost)
    {
        ArgumentNullException.ThrowIfNull(urlHost);
        IPAddress? loopback = LoopbackFor(urlHost);
        if (loopback is null) return null;
        if (IPAddress.TryParse(urlHost.Trim('[', ']'), out _)) return loopback.ToString();
        try
        {
            IPAddress[] resolved = Dns.GetHostAddresses(urlHost, loopback.AddressFamily);
            if (resolved.Length > 0 && resolved.All(a => a.Equals(loopback))) return urlHost;
        }
        catch (SocketException) { /* not resolvable here */ }
        return loopback.ToString();
    }

    private static Task<Ngtcp2ClientRun> RunAsync(Ngtcp2ClientOptions baseOptions, IReadOnlyList<string> urls, string name,
        CancellationToken cancellationToken)
    {
        Ngtcp2ClientOptions o = baseOptions.Clone();
        o.RunName = name;
        if (o.KeyLogFile is null) o.KeyLogFile = Path.Combine(o.RunDirectory, "keys.log"); // one key log for all runs, like the runner's
        foreach (string u in urls) o.Urls.Add(u);
        return Ngtcp2Client.RunAsync(o, cancellationToken);
    }
}
