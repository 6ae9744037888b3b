using Transport.Interop.Endpoint;

namespace Transport.Interop.Tests.Ours;

/// <summary>The runner's endpoint contract (TESTCASES.md §2): environment parsing and exit codes.</summary>
public sealed class EndpointContractTests
{
    private static EndpointConfig Parse(params (string Key, string Value)[] vars)
    {
        var d = vars.ToDictionary(v => v.Key, v => v.Value);
        return EndpointConfig.FromEnvironment(k => d.GetValueOrDefault(k));
    }

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public async Task Unknown_test_case_exits_127(string role)
    {
        var log = new StringWriter();
        // The runner's compliance probe sends a random slug.
        int exit = await InteropEndpoint.RunAsync(Parse(("ROLE", role), ("TESTCASE", "quick-brown-fox")), log);
        Assert.Equal(InteropEndpoint.Unsupported, exit);
    }

    [Theory]
    [InlineData("client", "connectionmigration")] // the runner gives clients transfer; following preferred_address is the default
    [InlineData("server", "versionnegotiation")]
    public async Task Features_the_stack_lacks_exit_127(string role, string testCase)
    {
        int exit = await InteropEndpoint.RunAsync(Parse(("ROLE", role), ("TESTCASE", testCase)), new StringWriter());
        Assert.Equal(InteropEndpoint.Unsupported, exit);
    }

    [Theory]
    [InlineData("ecn", true)]
    [InlineData("transfer", false)]
    public void Ecn_is_supported_in_both_roles(string testCase, bool ecn)
    {
        Assert.Equal(ecn, InteropTestCase.ForClient(testCase)!.Ecn);
        Assert.Equal(ecn, InteropTestCase.ForServer(testCase)!.Ecn);
        Assert.Equal(InteropTestCase.HqInterop, InteropTestCase.ForClient(testCase)!.Alpn);
    }

    [Fact]
    public void Connectionmigration_is_a_server_case_with_a_preferred_address_from_the_environment()
    {
        Assert.True(InteropTestCase.ForServer("connectionmigration")!.PreferredAddress);
        Assert.False(InteropTestCase.ForServer("transfer")!.PreferredAddress);
        Assert.Null(InteropTestCase.ForClient("connectionmigration")); // clients get transfer and follow preferred_address by default
        EndpointConfig c = Parse(("ROLE", "server"), ("TESTCASE", "connectionmigration"),
            ("PREFERRED_LISTEN", "127.0.0.1:4433"), ("PREFERRED_ADDRESS", "127.0.0.1:5555"));
        Assert.Equal(System.Net.IPEndPoint.Parse("127.0.0.1:4433"), c.PreferredListen);
        Assert.Equal(System.Net.IPEndPoint.Parse("127.0.0.1:5555"), c.PreferredAddress);
        Assert.Throws<ArgumentException>(() => Parse(("PREFERRED_ADDRESS", "not-an-address")));
    }

    [Fact]
    public void Defaults_follow_the_contract()
    {
        EndpointConfig c = Parse(("ROLE", "server"), ("TESTCASE", "transfer"));
        Assert.Equal("/www", c.Www);
        Assert.Equal("/downloads", c.Downloads);
        Assert.Equal("/certs", c.Certs);
        Assert.Equal(443, c.Port);
        Assert.Equal(System.Net.IPAddress.IPv6Any, c.ListenAddress);
        Assert.Null(c.KeyLogFile);
        Assert.Null(c.Alpn);
        Assert.Equal(TimeSpan.FromSeconds(300), c.Timeout); // never before the runner's longest limit
    }

    [Fact]
    public void Requests_split_on_spaces_and_overrides_are_read()
    {
        EndpointConfig c = Parse(("ROLE", "client"), ("TESTCASE", "http3"),
            ("REQUESTS", "https://server4:443/a-b-c  https://server4:443/d-e-f\n"), ("SSLKEYLOGFILE", "/logs/keys.log"),
            ("QLOGDIR", "/logs/qlog"), ("ALPN", "h3"), ("CONNECT_TO", "127.0.0.1:4433"), ("PORT", "4433"), ("TIMEOUT", "5"));
        Assert.Equal(["/a-b-c", "/d-e-f"], c.Requests.Select(u => u.AbsolutePath));
        Assert.Equal("/logs/keys.log", c.KeyLogFile);
        Assert.Equal("/logs/qlog", c.QlogDirectory);
        Assert.Equal("h3", c.Alpn);
        Assert.Equal("127.0.0.1:4433", c.ConnectTo);
        Assert.Equal(4433, c.Port);
        Assert.Equal(TimeSpan.FromSeconds(5), c.Timeout);
    }

    [Fact]
    public void Malformed_values_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Parse(("REQUESTS", "not-a-url")));
        Assert.Throws<ArgumentException>(() => Parse(("PORT", "70000")));
        Assert.Throws<ArgumentException>(() => Parse(("LISTEN", "nowhere")));
    }

    [Theory]
    [InlineData("http3", "h3")]
    [InlineData("handshake", "hq-interop")]
    [InlineData("transfer", "hq-interop")]
    [InlineData("zerortt", "hq-interop")]
    public void Alpn_by_test_case(string testCase, string alpn) => Assert.Equal(alpn, InteropTestCase.ForClient(testCase)!.Alpn);

    [Fact]
    public async Task Client_without_requests_fails_with_1()
    {
        using var dir = new Peers.PeerTestDirectory("contract");
        int exit = await InteropEndpoint.RunAsync(Parse(("ROLE", "client"), ("TESTCASE", "handshake"), ("DOWNLOADS", dir.Path)), new StringWriter());
        Assert.Equal(InteropEndpoint.Failure, exit);
    }
}
