using System.Net;
using Transport.Interop.Peers;

namespace Transport.Interop.Tests.Peers;

public sealed class Ngtcp2ArgumentsTests
{
    [Fact]
    public void Client_arguments_put_flags_before_host_port_and_urls()
    {
        var o = new Ngtcp2ClientOptions
        {
            Host = "127.0.0.1", Port = 4433, DownloadDirectory = "/dl", Ciphers = Ngtcp2.ChaCha20Only, Sni = "server4",
            SessionFile = "/s", TransportParametersFile = "/t", KeyUpdateAfter = TimeSpan.FromMilliseconds(1),
            HandshakeTimeout = TimeSpan.FromSeconds(180),
        };
        o.Urls.Add("https://server4:443/a");
        o.Urls.Add("https://server4:443/b");
        List<string> a = Ngtcp2Client.BuildArguments(o);
        Assert.Equal(
            ["-q", "--download=/dl", "--exit-on-all-streams-close", "--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305",
             "--sni=server4", "--session-file=/s", "--tp-file=/t", "--key-update=1ms", "--handshake-timeout=180000ms",
             "127.0.0.1", "4433", "https://server4:443/a", "https://server4:443/b"], a);
    }

    [Fact]
    public void Verbose_client_drops_the_data_dumps()
    {
        var o = new Ngtcp2ClientOptions { Host = "::1", Port = 1, DownloadDirectory = "/dl", Quiet = false, ExitOnAllStreamsClose = false };
        o.Urls.Add("https://[::1]:1/x");
        Assert.Equal(["--no-quic-dump", "--no-http-dump", "--download=/dl", "::1", "1", "https://[::1]:1/x"], Ngtcp2Client.BuildArguments(o));
    }

    [Fact]
    public void Client_arguments_are_validated()
    {
        var o = new Ngtcp2ClientOptions { Host = "127.0.0.1", Port = 4433, DownloadDirectory = "/dl" };
        Assert.Throws<ArgumentException>(() => Ngtcp2Client.BuildArguments(o)); // no URL
        o.Urls.Add("https://server4/a");
        o.NatRebinding = true;
        Assert.Throws<ArgumentException>(() => Ngtcp2Client.BuildArguments(o));
    }

    [Fact]
    public void Server_arguments_end_with_address_port_key_and_certificate()
    {
        var o = new Ngtcp2ServerOptions
        {
            Address = IPAddress.IPv6Loopback, WebRoot = "/www", CertificatePath = "/c/cert.pem", PrivateKeyPath = "/c/priv.key",
            ValidateAddress = true, PreferredIPv4Address = new IPEndPoint(IPAddress.Loopback, 4434),
            PreferredIPv6Address = new IPEndPoint(IPAddress.IPv6Loopback, 4434), MaxStreamsBidi = 1000,
        };
        Assert.Equal(
            ["-q", "-d", "/www", "-V", "--max-streams-bidi=1000", "--preferred-ipv4-addr=127.0.0.1:4434",
             "--preferred-ipv6-addr=[::1]:4434", "::1", "443", "/c/priv.key", "/c/cert.pem"],
            Ngtcp2Server.BuildArguments(o, 443));
    }

    [Fact]
    public void Durations_use_milliseconds_or_microseconds()
    {
        Assert.Equal("1ms", Ngtcp2.FormatDuration(TimeSpan.FromMilliseconds(1)));
        Assert.Equal("1500us", Ngtcp2.FormatDuration(TimeSpan.FromMicroseconds(1500)));
        Assert.Equal("0ms", Ngtcp2.FormatDuration(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ngtcp2.FormatDuration(TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Version_negotiation_probe_is_the_runners_datagram()
    {
        byte[] p = VersionNegotiationProbe.CreateProbe();
        Assert.Equal(1207, p.Length);
        Assert.Equal(new byte[] { 0xc0, 0x57, 0x41, 0x49, 0x54, 0, 0 }, p[..7]);
        Assert.All(p[7..], b => Assert.Equal(0, b));
        Assert.True(VersionNegotiationProbe.IsVersionNegotiation([0xf1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]));
        Assert.False(VersionNegotiationProbe.IsVersionNegotiation(p));
    }
}
