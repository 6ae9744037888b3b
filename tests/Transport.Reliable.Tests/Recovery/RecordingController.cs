using Transport.Core.Time;
using Transport.Reliable.Congestion;

namespace Transport.Reliable.Tests.Recovery;

/// <summary>A congestion controller that only records what it is told.</summary>
internal sealed class RecordingController : ICongestionController
{
    public sealed record AckCall(Instant Now, AckedPacket[] Packets, long BytesAcked, long PriorBytesInFlight, long BytesInFlight,
        TimeSpan LatestRtt, TimeSpan SmoothedRtt, TimeSpan MinRtt, bool IsApplicationLimited, RateSample RateSample);

    public List<(Instant Now, int Bytes, long BytesInFlight)> Sent { get; } = [];
    public List<AckCall> Acks { get; } = [];
    public List<(Instant Now, CongestionEvent Event)> CongestionEvents { get; } = [];
    public List<Instant> SpuriousEvents { get; } = [];

    public string Name => "recording";
    public long CongestionWindow => long.MaxValue;
    public double PacingRate => 0;
    public CongestionState State => CongestionState.SlowStart;

    public void OnPacketSent(Instant now, int bytes, long bytesInFlight) => Sent.Add((now, bytes, bytesInFlight));

    public void OnAck(Instant now, in AckEvent ack) => Acks.Add(new AckCall(now, ack.Packets.ToArray(), ack.BytesAcked,
        ack.PriorBytesInFlight, ack.BytesInFlight, ack.LatestRtt, ack.SmoothedRtt, ack.MinRtt, ack.IsApplicationLimited, ack.RateSample));

    public void OnCongestionEvent(Instant now, in CongestionEvent congestion) => CongestionEvents.Add((now, congestion));

    public void OnSpuriousCongestionEvent(Instant now) => SpuriousEvents.Add(now);

    public void OnMaxDatagramSizeChanged(int maxDatagramSize) { }
}
