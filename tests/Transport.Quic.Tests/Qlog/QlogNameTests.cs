using System.Text.Json;
using Transport.Quic.Packets;
using Transport.Quic.Qlog;
using Transport.Reliable.Congestion;
using static Transport.Quic.Tests.Qlog.QlogTestSupport;

namespace Transport.Quic.Tests.Qlog;

/// <summary>Every enum value has its own qlog spelling: snake case, never "unknown", never shared.</summary>
public class QlogNameTests
{
    private static void AssertDistinctNames<T>(Func<QlogWriter, T, bool> log, Func<JsonElement, string?> read, params T[] skip)
        where T : struct, Enum
    {
        var names = new HashSet<string>();
        foreach (T value in Enum.GetValues<T>())
        {
            if (skip.Contains(value)) continue;
            var (writer, stream) = NewWriter();
            Assert.True(log(writer, value));
            string? name = read(Single(writer, stream).GetProperty("data"));
            Assert.NotNull(name);
            Assert.NotEqual("unknown", name);
            Assert.Matches("^[a-z0-9_]+$|^ECN$|^[01]RTT$", name);
            Assert.True(names.Add(name), $"{value} shares the name {name}");
        }
    }

    [Fact]
    public void Drop_reasons() => AssertDistinctNames<QlogPacketDropReason>(
        (w, v) => { w.PacketDropped(At(1), PacketType.OneRtt, 1, v); return true; },
        d => d.GetProperty("trigger").GetString(), QlogPacketDropReason.None);

    [Fact]
    public void Sent_triggers() => AssertDistinctNames<QlogPacketSentTrigger>(
        (w, v) => { w.PacketSent(At(1), PacketType.OneRtt, 1, 1, null, v); return true; },
        d => d.GetProperty("trigger").GetString(), QlogPacketSentTrigger.None);

    [Fact]
    public void Lost_triggers() => AssertDistinctNames<QlogPacketLostTrigger>(
        (w, v) => { w.PacketLost(At(1), PacketType.OneRtt, 1, v); return true; },
        d => d.GetProperty("trigger").GetString(), QlogPacketLostTrigger.None);

    [Fact]
    public void Close_triggers() => AssertDistinctNames<QlogConnectionCloseTrigger>(
        (w, v) => { w.ConnectionClosed(At(1), null, null, null, null, v); return true; },
        d => d.GetProperty("trigger").GetString(), QlogConnectionCloseTrigger.None);

    [Fact]
    public void Congestion_triggers() => AssertDistinctNames<QlogCongestionStateTrigger>(
        (w, v) => { w.CongestionStateUpdated(At(1), null, CongestionState.Recovery, v); return true; },
        d => d.GetProperty("trigger").GetString(), QlogCongestionStateTrigger.None);

    [Fact]
    public void Key_update_triggers() => AssertDistinctNames<QlogKeyUpdateTrigger>(
        (w, v) => { w.KeyUpdated(At(1), QlogKeyType.Client1RttSecret, v); return true; },
        d => d.GetProperty("trigger").GetString(), QlogKeyUpdateTrigger.None);

    [Fact]
    public void Congestion_states() => AssertDistinctNames<CongestionState>(
        (w, v) => { w.CongestionStateUpdated(At(1), null, v); return true; },
        d => d.GetProperty("new").GetString());

    [Fact]
    public void Key_types() => AssertDistinctNames<QlogKeyType>(
        (w, v) => { w.KeyUpdated(At(1), v, QlogKeyUpdateTrigger.Tls); return true; },
        d => d.GetProperty("key_type").GetString());

    [Fact]
    public void Connection_states() => AssertDistinctNames<QlogConnectionState>(
        (w, v) => { w.ConnectionStateUpdated(At(1), null, v); return true; },
        d => d.GetProperty("new").GetString());

    [Fact]
    public void Packet_types() => AssertDistinctNames<PacketType>(
        (w, v) => { w.PacketSent(At(1), v, 1, 1); return true; },
        d => d.GetProperty("header").GetProperty("packet_type").GetString());
}
