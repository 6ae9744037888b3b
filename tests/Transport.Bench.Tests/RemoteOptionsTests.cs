using Transport.Bench.Remote;

namespace Transport.Bench.Tests;

public class RemoteOptionsTests
{
    [Theory]
    [InlineData("example.test", "example.test", null)]
    [InlineData("example.test:5000", "example.test", 5000)]
    [InlineData("10.0.0.2:4433", "10.0.0.2", 4433)]
    [InlineData("[::1]:4444", "::1", 4444)]
    [InlineData("[fe80::1]", "fe80::1", null)]
    [InlineData("::1", "::1", null)]
    public void Target_splits_into_host_and_port(string target, string host, int? port)
    {
        Assert.True(RemoteClientOptions.TrySplitTarget(target, out string h, out int? p));
        Assert.Equal(host, h);
        Assert.Equal(port, p);
    }

    [Theory]
    [InlineData("host:0")]
    [InlineData("host:99999")]
    [InlineData("[::1")]
    [InlineData("[::1]x")]
    public void Bad_targets_are_refused(string target) => Assert.False(RemoteClientOptions.TrySplitTarget(target, out _, out _));

    [Fact]
    public void The_client_needs_a_pin_or_an_explicit_insecure()
    {
        Assert.Null(RemoteClientOptions.Parse(["--target", "h"], out string? error));
        Assert.Contains("--insecure", error);
        string pin = new('a', 64);
        RemoteClientOptions? pinned = RemoteClientOptions.Parse(["--target", "h:9", "--pin", pin], out _);
        Assert.NotNull(pinned);
        Assert.Equal(9, pinned.Port);
        Assert.Equal(32, pinned.Pin!.Length);
        Assert.False(pinned.Insecure);
        RemoteClientOptions? insecure = RemoteClientOptions.Parse(["--target", "h", "--insecure", "--protocol", "quic,tls", "--test", "rr"], out _);
        Assert.NotNull(insecure);
        Assert.True(insecure.Insecure);
        Assert.Null(insecure.Pin);
        Assert.Equal([RemoteProtocol.Quic, RemoteProtocol.Tls], insecure.Protocols);
        Assert.Equal([RemoteTest.RequestResponse], insecure.Tests);
        Assert.Null(RemoteClientOptions.Parse(["--target", "h", "--insecure", "--pin", pin], out _));
        Assert.Null(RemoteClientOptions.Parse(["--target", "h", "--pin", "12:34"], out _));
    }

    [Fact]
    public void Fingerprints_round_trip_with_or_without_colons()
    {
        byte[] hash = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        string printed = RemoteNames.Fingerprint(hash);
        Assert.Equal(hash, RemoteNames.ParseFingerprint(printed));
        Assert.Equal(hash, RemoteNames.ParseFingerprint(printed.Replace(":", "").ToLowerInvariant()));
    }

    [Theory]
    [InlineData("1000", 1000L)]
    [InlineData("10k", 10_000L)]
    [InlineData("1.5m", 1_500_000L)]
    [InlineData("2g", 2_000_000_000L)]
    [InlineData("1Mi", 1_048_576L)]
    [InlineData("4KiB", 4096L)]
    public void Byte_counts_take_suffixes(string text, long expected)
    {
        Assert.True(RemoteNames.TryParseBytes(text, out long bytes));
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Server_options_parse_and_refuse_nonsense()
    {
        RemoteServerOptions? options = RemoteServerOptions.Parse(["--port", "5000", "--bind", "::", "--cc", "bbr"], out _);
        Assert.NotNull(options);
        Assert.Equal(5000, options.Port);
        Assert.True(options.CongestionControlGiven);
        Assert.Null(RemoteServerOptions.Parse(["--port", "0"], out _));
        Assert.Null(RemoteServerOptions.Parse(["--cc", "vegas"], out _));
        Assert.Null(RemoteServerOptions.Parse(["--frobnicate"], out string? error));
        Assert.Contains("--frobnicate", error);
    }
}
