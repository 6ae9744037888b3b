using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Transport.Quic.Connection;
using Transport.Quic.Crypto;
using Transport.Quic.Endpoint;
using Transport.Quic.Frames;
using Transport.Quic.Qlog;
using Transport.Quic.Tests.Endpoint;
using Transport.Quic.Tests.Qlog;
using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Connection;

public class KeyLogTests
{
    // NSS key log line: LABEL <client_random: 32 bytes hex> <secret: Hash.length bytes hex>.
    private static readonly Regex Line = new("^(CLIENT_EARLY_TRAFFIC_SECRET|CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0) ([0-9a-f]{64}) ([0-9a-f]+)$");

    private static readonly string[] HandshakeLabels =
        ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"];

    private static Dictionary<string, byte[]> Parse(IEnumerable<string> lines, int secretLength, out string clientRandom)
    {
        var secrets = new Dictionary<string, byte[]>();
        clientRandom = "";
        foreach (string line in lines)
        {
            var m = Line.Match(line);
            Assert.True(m.Success, $"not an NSS key log line: {line}");
            Assert.Equal(2 * secretLength, m.Groups[3].Value.Length);
            clientRandom = m.Groups[2].Value;
            Assert.True(secrets.TryAdd(m.Groups[1].Value, Convert.FromHexString(m.Groups[3].Value)), $"{m.Groups[1].Value} twice");
        }
        return secrets;
    }

    [Theory]
    [InlineData(CipherSuite.Aes128GcmSha256, 32)]
    [InlineData(CipherSuite.Aes256GcmSha384, 48)]
    [InlineData(CipherSuite.ChaCha20Poly1305Sha256, 32)]
    public void Both_sides_log_the_same_secrets_and_they_decrypt_the_servers_1rtt_packets(CipherSuite suite, int secretLength)
    {
        var clientLines = new List<string>();
        var serverLines = new List<string>();
        var serverShortHeaderDatagrams = new List<byte[]>();
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => { o.KeyLog = clientLines.Add; o.ClientTls!.CipherSuites = [suite]; }),
            ConnectionPair.ServerOptions(o => o.KeyLog = serverLines.Add));
        pair.Rewrite = (fromClient, bytes) =>
        {
            if (!fromClient && (bytes[0] & 0x80) == 0) serverShortHeaderDatagrams.Add(bytes.ToArray());
            return bytes;
        };
        Assert.True(pair.CompleteHandshake());

        var client = Parse(clientLines, secretLength, out string clientRandom);
        var server = Parse(serverLines, secretLength, out string serverSeenRandom);
        Assert.Equal(HandshakeLabels.Order(), client.Keys.Order());
        Assert.Equal(clientRandom, serverSeenRandom);
        foreach (string label in HandshakeLabels) Assert.Equal(client[label], server[label]);

        // What Wireshark does with the log: 1-RTT keys from the traffic secrets (RFC 9001 §5.1) open the server's packets.
        Assert.NotEmpty(serverShortHeaderDatagrams);
        using var keys = OneRttKeys.Create(suite, client["CLIENT_TRAFFIC_SECRET_0"], client["SERVER_TRAFFIC_SECRET_0"]);
        byte[] packet = serverShortHeaderDatagrams[0];
        Assert.True(keys.TryOpen(packet, 1 + pair.Client.LocalConnectionId.Length, -1, out long pn, out int headerLength, out int payloadLength));
        Assert.True(pn >= 0);
        var reader = new FrameReader(packet.AsSpan(headerLength, payloadLength), EncryptionLevel.OneRtt);
        Assert.Equal(FrameReadResult.Frame, reader.ReadNext(out _));
    }

    [Fact]
    public void The_connection_key_log_wins_over_the_TLS_options_key_log_which_is_used_otherwise()
    {
        var fromConnection = new List<string>();
        var fromTls = new List<string>();
        var serverTls = new List<string>();
        var clientOptions = ConnectionPair.ClientOptions(o => { o.KeyLog = fromConnection.Add; o.ClientTls!.KeyLog = fromTls.Add; });
        var serverOptions = ConnectionPair.ServerOptions(o => o.ServerTls!.KeyLog = serverTls.Add);
        using var pair = new ConnectionPair(clientOptions, serverOptions);
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(4, fromConnection.Count);
        Assert.Empty(fromTls);
        Assert.Equal(fromConnection.Order(), serverTls.Order());
    }

    [Fact]
    public void A_failing_key_log_does_not_break_the_handshake()
    {
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => o.KeyLog = _ => throw new IOException("disk full (test)")),
            ConnectionPair.ServerOptions(o => o.KeyLog = _ => throw new IOException("disk full (test)")));
        Assert.True(pair.CompleteHandshake());
    }

    [Fact]
    public void ToWriter_writes_one_line_per_secret()
    {
        var text = new StringWriter();
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.KeyLog = TlsKeyLog.ToWriter(text)), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        string[] lines = text.ToString().Split('\n');
        Assert.Equal("", lines[^1]); // every line ends with LF
        Parse(lines[..^1], 32, out _);
        Assert.Equal(4, lines.Length - 1);
        Assert.Throws<ArgumentNullException>(() => TlsKeyLog.ToWriter(null!));
    }

    [Fact]
    public void Endpoint_options_write_one_qlog_file_per_connection_and_the_key_log_file()
    {
        string dir = Path.Combine(Path.GetTempPath(), "transport-qlog-" + Guid.NewGuid().ToString("N"));
        try
        {
            string keyLog = Path.Combine(dir, "keys.log");
            string qlogDir = Path.Combine(dir, "qlog");
            Directory.CreateDirectory(dir);
            var serverAddress = new IPEndPoint(IPAddress.Parse("10.0.0.100"), 4433);
            using var net = new EndpointNetwork(seed: 9);
            net.Add(serverAddress, new QuicEndpointOptions
            {
                ServerConnectionOptions = ConnectionPair.ServerOptions(), QlogDirectory = qlogDir, KeyLogFile = keyLog,
            });
            var clientEndpoint = net.Add(new IPEndPoint(IPAddress.Parse("10.0.1.1"), 50000),
                new QuicEndpointOptions { QlogDirectory = qlogDir, KeyLogFile = keyLog });
            var client = clientEndpoint.Connect(ConnectionPair.ClientOptions(), serverAddress, net.Now);
            Assert.True(client.IsQlogEnabled);
            Assert.True(net.RunUntil(() => client.IsHandshakeConfirmed));
            client.Close(0);
            Assert.True(net.RunUntil(() => client.IsTerminated));

            var odcid = client.OriginalDestinationConnectionId;
            foreach (var vp in new[] { QlogVantagePoint.Client, QlogVantagePoint.Server })
            {
                string path = Path.Combine(qlogDir, QlogFileFactory.GetFileName(odcid, vp));
                Assert.True(File.Exists(path), $"{path} missing");
                var records = QlogTestSupport.Records(File.ReadAllBytes(path));
                using var header = JsonDocument.Parse(records[0]);
                Assert.Equal(odcid.ToString(), header.RootElement.GetProperty("trace").GetProperty("common_fields").GetProperty("group_id").GetString());
                Assert.Contains(records, r => r.Contains("\"connectivity:connection_closed\""));
            }
            // Both endpoints appended their lines: the same four secrets twice.
            string[] lines = File.ReadAllLines(keyLog);
            Assert.Equal(8, lines.Length);
            var secrets = Parse(lines.Distinct(), 32, out _);
            Assert.Equal(HandshakeLabels.Order(), secrets.Keys.Order());
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
