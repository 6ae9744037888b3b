using System.Net;
using Transport.Interop.Endpoint;
using Transport.Interop.Peers;
using Transport.Interop.Tests.Peers;

namespace Transport.Interop.Tests.Ours;

/// <summary>Starts our endpoint's server and runs its client the way Program.cs does, on loopback with a hard deadline.</summary>
internal static class OursHarness
{
    /// <summary>The client's own deadline; the tests' xunit timeouts are above it.</summary>
    public static readonly TimeSpan ClientDeadline = TimeSpan.FromSeconds(40);

    public const int TestTimeout = 90_000;

    public static IReadOnlyList<string> Urls(IEnumerable<string> names) => names.Select(n => "https://server4:443/" + n).ToList();

    /// <summary>Our server on 127.0.0.1 (free port) serving the fixture's web root.</summary>
    public static Task<InteropServer> StartServerAsync(OursFixture fixture, string testCase, string? keyLog = null, TextWriter? log = null,
        string? certs = null, string? qlogDirectory = null)
    {
        InteropTestCase tc = InteropTestCase.ForServer(testCase) ?? throw new ArgumentException($"server does not support {testCase}");
        var config = new EndpointConfig
        {
            Role = "server", TestCase = testCase, Www = fixture.Www.Root, Certs = certs ?? fixture.Certificates.Directory,
            Port = 0, ListenAddress = IPAddress.Loopback, KeyLogFile = keyLog, QlogDirectory = qlogDirectory,
            // connectionmigration: the preferred address on a free loopback port (advertised as bound).
            PreferredListen = testCase == "connectionmigration" ? new IPEndPoint(IPAddress.Loopback, 0) : null,
        };
        return InteropServer.StartAsync(config, tc, log);
    }

    /// <summary>Runs our client through <see cref="InteropEndpoint.RunAsync"/>; returns the exit code and its log.</summary>
    public static async Task<(int ExitCode, string Log, TimeSpan Elapsed)> RunClientAsync(string testCase, IEnumerable<string> names,
        IPEndPoint server, string downloads, string? alpn = null, string? keyLog = null, string? qlogDirectory = null)
    {
        var config = new EndpointConfig
        {
            Role = "client", TestCase = testCase, Downloads = downloads, Alpn = alpn, KeyLogFile = keyLog,
            ConnectTo = server.ToString(), Timeout = ClientDeadline, QlogDirectory = qlogDirectory,
        };
        foreach (string u in Urls(names)) config.Requests.Add(new Uri(u));
        var log = new StringWriter();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        int exit = await InteropEndpoint.RunAsync(config, TextWriter.Synchronized(log)).WaitAsync(ClientDeadline + TimeSpan.FromSeconds(10));
        return (exit, log.ToString(), watch.Elapsed);
    }

    /// <summary>gtlsclient as the runner's client (Ngtcp2InteropEndpoint) against our server.</summary>
    public static Task<Ngtcp2InteropClientResult> RunNgtcp2ClientAsync(string testCase, IEnumerable<string> names, int port,
        PeerTestDirectory run, bool quiet = false) =>
        Ngtcp2InteropEndpoint.RunClientAsync(testCase, Urls(names), new Ngtcp2ClientOptions
        {
            Port = port, DownloadDirectory = run.Sub("downloads"), RunDirectory = run.Sub("client"), Quiet = quiet,
            Deadline = ClientDeadline,
        });

    /// <summary>gtlsserver configured for <paramref name="testCase"/> like the runner's ngtcp2 server.</summary>
    public static async Task<Ngtcp2Server> StartNgtcp2ServerAsync(OursFixture fixture, string testCase, PeerTestDirectory run, bool quiet = false,
        Action<Ngtcp2ServerOptions>? configure = null)
    {
        var o = new Ngtcp2ServerOptions
        {
            WebRoot = fixture.Www.Root, CertificatePath = fixture.Certificates.CertificatePath,
            PrivateKeyPath = fixture.Certificates.PrivateKeyPath, RunDirectory = run.Sub("server"), Quiet = quiet,
            MaxLifetime = TimeSpan.FromMinutes(2),
        };
        Assert.True(Ngtcp2InteropEndpoint.TryConfigureServer(testCase, o), $"gtlsserver does not support {testCase}");
        configure?.Invoke(o);
        return await Ngtcp2Server.StartAsync(o);
    }

    public static void AssertFiles(OursFixture fixture, string downloads, IEnumerable<string> names, string evidence)
    {
        DownloadVerdict verdict = DownloadVerdict.Compare(fixture.Www.Root, downloads, names);
        Assert.True(verdict.Succeeded, verdict + "\n" + evidence);
    }
}
