using System.Net;
using Transport.Interop.Peers;
using Xunit.Abstractions;

namespace Transport.Interop.Tests.Peers;

/// <summary>
/// Reads what gtlsclient really offers in its Initial packets, decrypted with the Initial keys: the runner's chacha20
/// check wants the client Initials' cipher suites to be exactly {0x1303}.
/// </summary>
public sealed class ClientHelloCaptureTests(ITestOutputHelper output)
{
    [RequiresNgtcp2Fact(Timeout = 60_000)]
    public async Task ChaCha20_only_client_offers_exactly_0x1303()
    {
        ClientHelloInfo hello = await CaptureAsync(o => o.Ciphers = Ngtcp2.ChaCha20Only);
        Assert.Equal([(ushort)0x1303], hello.CipherSuites);
        Assert.Equal(1u, hello.QuicVersion);
    }

    [RequiresNgtcp2Fact(Timeout = 60_000)]
    public async Task Default_client_offers_h3_and_its_default_suites_groups_and_key_shares()
    {
        ClientHelloInfo hello = await CaptureAsync(o => o.Sni = "server4");
        output.WriteLine($"suites {Hex(hello.CipherSuites)} groups {Hex(hello.SupportedGroups)} shares {Hex(hello.KeyShareGroups)} " +
                         $"alpn {string.Join(',', hello.ApplicationProtocols)} sni {hello.ServerName} initials {hello.InitialPackets}");
        Assert.Equal("localhost", hello.ServerName); // 0.12's GnuTLS client ignores --sni and says "localhost" for an IP literal
        Assert.Equal(["h3"], hello.ApplicationProtocols);
        Assert.Equal([(ushort)0x1301, 0x1302, 0x1303, 0x1304], hello.CipherSuites);
        Assert.Equal([(ushort)0x001d, 0x0017, 0x0018, 0x0019], hello.SupportedGroups);
        Assert.Equal([(ushort)0x001d, 0x0017], hello.KeyShareGroups); // x25519 and P-256 shares: a P-256-only server needs no HelloRetryRequest
        Assert.Equal(1, hello.InitialPackets);
    }

    [RequiresNgtcp2Fact(Timeout = 60_000)]
    public async Task Groups_flag_restricts_groups_and_key_shares()
    {
        ClientHelloInfo hello = await CaptureAsync(o => o.Groups = Ngtcp2.Secp256r1Only);
        Assert.Equal([(ushort)0x0017], hello.SupportedGroups);
        Assert.Equal([(ushort)0x0017], hello.KeyShareGroups);
    }

    [RequiresNgtcp2Fact(Timeout = 60_000)]
    public async Task A_host_name_becomes_the_sni()
    {
        ClientHelloInfo hello = await CaptureAsync(o => o.Host = "localhost");
        Assert.Equal("localhost", hello.ServerName);
        ClientHelloInfo hello2 = await CaptureAsync(o => { o.Host = "localhost"; o.Groups = Ngtcp2.Secp256r1Only; });
        Assert.Equal([(ushort)0x0017], hello2.KeyShareGroups);
    }

    [Fact]
    public void Garbage_is_not_a_client_hello()
    {
        Assert.False(ClientHelloInfo.TryDecode([new byte[1200], VersionNegotiationProbe.CreateProbe(), [0xc0]], out ClientHelloInfo? info));
        Assert.Null(info);
    }

    private static async Task<ClientHelloInfo> CaptureAsync(Action<Ngtcp2ClientOptions> configure)
    {
        using var run = new PeerTestDirectory("hello");
        ClientHelloInfo? hello = await ClientHelloCapture.CaptureAsync(IPAddress.Loopback, async (port, token) =>
        {
            var o = new Ngtcp2ClientOptions
            {
                Host = "127.0.0.1", Port = port, DownloadDirectory = run.Sub("dl"), RunDirectory = run.Path, Deadline = TimeSpan.FromSeconds(20),
            };
            o.Urls.Add($"https://127.0.0.1:{port}/x");
            configure(o);
            await Ngtcp2Client.RunAsync(o, token);
        }, TimeSpan.FromSeconds(10));
        Assert.NotNull(hello);
        return hello;
    }

    private static string Hex(IEnumerable<ushort> values) => string.Join(',', values.Select(v => "0x" + v.ToString("x4")));
}
