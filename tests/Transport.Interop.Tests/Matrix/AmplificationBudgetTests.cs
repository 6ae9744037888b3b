using System.Net;
using Transport.Interop.Checks;

namespace Transport.Interop.Tests.Matrix;

/// <summary>The amplificationlimit walk (testcases_quic.py) over synthetic datagrams; no tshark needed.</summary>
public sealed class AmplificationBudgetTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Loopback, 5000), Server = new(IPAddress.Loopback, 443);

    private static TraceDatagram D(bool fromServer, string type, int payload, string version = "0x00000001")
    {
        var fields = new Dictionary<string, List<string>>
        {
            ["quic.header_form"] = ["1"], ["quic.version"] = [version], ["quic.long.packet_type"] = [type],
        };
        return new TraceDatagram(1, 0, fromServer ? Server : Client, fromServer ? Client : Server, payload + 8, 0,
            fromServer ? TraceDirection.FromServer : TraceDirection.FromClient, [new QuicLayer(fields)]);
    }

    private const string Initial = "0", Handshake = "2";

    [Fact]
    public void Three_times_the_client_initial_passes()
    {
        CheckResult r = RunnerChecks.AmplificationBudget([D(false, Initial, 1200), D(true, Initial, 1200), D(true, Handshake, 1200), D(true, Handshake, 1200), D(false, Handshake, 50)]);
        Assert.True(r.Succeeded, r.Reason);
    }

    [Fact]
    public void Between_three_and_four_times_is_tolerated()
    {
        CheckResult r = RunnerChecks.AmplificationBudget([D(false, Initial, 1200), D(true, Initial, 1200), D(true, Handshake, 1200), D(true, Handshake, 1200),
            D(true, Handshake, 1199), D(false, Handshake, 50)]);
        Assert.True(r.Succeeded, r.Reason);
    }

    [Fact]
    public void A_datagram_reaching_four_times_fails()
    {
        CheckResult r = RunnerChecks.AmplificationBudget([D(false, Initial, 1200), D(true, Initial, 1200), D(true, Handshake, 1200), D(true, Handshake, 1200),
            D(true, Handshake, 1200), D(false, Handshake, 50)]);
        Assert.Equal(CheckOutcome.Failed, r.Outcome);
        Assert.Contains("amplification limit", r.Reason);
    }

    [Fact]
    public void Each_client_initial_raises_the_budget_and_version_negotiation_fails()
    {
        CheckResult r = RunnerChecks.AmplificationBudget([D(false, Initial, 1200), D(true, Initial, 1200), D(true, Handshake, 1200), D(true, Handshake, 1200),
            D(false, Initial, 1200), D(true, Handshake, 1200), D(true, Handshake, 1200), D(false, Handshake, 50)]);
        Assert.True(r.Succeeded, r.Reason);
        CheckResult vn = RunnerChecks.AmplificationBudget([D(false, Initial, 1200), D(true, "0", 40, version: "0x00000000")]);
        Assert.Equal("Didn't expect a Version Negotiation packet.", vn.Reason);
    }

    [Fact]
    public void A_trace_without_a_client_handshake_packet_fails()
    {
        Assert.Equal(CheckOutcome.Failed, RunnerChecks.AmplificationBudget([D(false, Initial, 1200), D(true, Initial, 1200)]).Outcome);
        Assert.Equal(CheckOutcome.Failed, RunnerChecks.AmplificationBudget([]).Outcome);
    }

    [Fact]
    public void Packet_kinds_follow_the_runner_for_v1_and_v2()
    {
        static QuicLayer L(string version, string? type, string? typeV2 = null, string form = "1")
        {
            var f = new Dictionary<string, List<string>> { ["quic.header_form"] = [form], ["quic.version"] = [version] };
            if (type is not null) f["quic.long.packet_type"] = [type];
            if (typeV2 is not null) f["quic.long.packet_type_v2"] = [typeV2];
            return new QuicLayer(f);
        }
        Assert.Equal(QuicPacketKind.Initial, L("0x00000001", "0").Kind);
        Assert.Equal(QuicPacketKind.ZeroRtt, L("0x00000001", "1").Kind);
        Assert.Equal(QuicPacketKind.Handshake, L("0x00000001", "2").Kind);
        Assert.Equal(QuicPacketKind.Retry, L("0x00000001", "3").Kind);
        Assert.Equal(QuicPacketKind.Initial, L("0x6b3343cf", null, "1").Kind);
        Assert.Equal(QuicPacketKind.Retry, L("0x6b3343cf", null, "0").Kind);
        Assert.Equal(QuicPacketKind.Handshake, L("0x6b3343cf", null, "3").Kind);
        Assert.Equal(QuicPacketKind.VersionNegotiation, L("0x00000000", null).Kind);
        Assert.Equal(QuicPacketKind.OneRtt, L("", null, form: "0").Kind);
        Assert.Equal(QuicPacketKind.Invalid, L("0x00000001", null).Kind);
    }

    [Fact]
    public void Key_log_choice_prefers_a_usable_client_log()
    {
        string dir = Path.Combine(Path.GetTempPath(), "keylog-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string client = Path.Combine(dir, "c.log"), server = Path.Combine(dir, "s.log");
            File.WriteAllText(client, "CLIENT_HANDSHAKE_TRAFFIC_SECRET aa bb\n");
            File.WriteAllText(server, "SERVER_HANDSHAKE_TRAFFIC_SECRET aa bb\n");
            Assert.Equal(server, KeyLogChoice.Choose(client, server)); // client log lacks the server secret
            File.AppendAllText(client, "SERVER_HANDSHAKE_TRAFFIC_SECRET aa cc\n");
            Assert.Equal(client, KeyLogChoice.Choose(client, server));
            Assert.Null(KeyLogChoice.Choose(Path.Combine(dir, "none"), null));
        }
        finally { Directory.Delete(dir, true); }
    }
}
