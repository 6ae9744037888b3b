using Transport.Core.Time;
using Transport.Reliable.Congestion;

namespace Transport.Reliable.Tests.Harness;

/// <summary>
/// Wraps the controller under test and forwards every event to it, recording what the harness reports: the latest valid
/// delivery-rate sample (from the loss detector's <see cref="AckEvent.RateSample"/>), and the smallest window seen after
/// any event (the trace the minimum-window check reads).
/// </summary>
internal sealed class ObservedController : ICongestionController
{
    public ObservedController(ICongestionController inner) => Inner = inner;

    public ICongestionController Inner { get; }

    /// <summary>Bytes per second of the latest valid rate sample, 0 before one.</summary>
    public double LatestDeliveryRate { get; private set; }

    /// <summary>Whether the latest valid rate sample was application-limited.</summary>
    public bool LatestSampleApplicationLimited { get; private set; }

    /// <summary>The smallest congestion window after any event (send, ACK, congestion, spurious loss).</summary>
    public long MinimumObservedWindow { get; private set; } = long.MaxValue;

    public long AckEvents { get; private set; }
    public long CongestionEvents { get; private set; }

    public string Name => Inner.Name;
    public long CongestionWindow => Inner.CongestionWindow;
    public double PacingRate => Inner.PacingRate;
    public CongestionState State => Inner.State;

    public void OnPacketSent(Instant now, int bytes, long bytesInFlight)
    {
        Inner.OnPacketSent(now, bytes, bytesInFlight);
        Observe();
    }

    public void OnAck(Instant now, in AckEvent ack)
    {
        Inner.OnAck(now, ack);
        AckEvents++;
        if (ack.RateSample.IsValid)
        {
            LatestDeliveryRate = ack.RateSample.DeliveryRate;
            LatestSampleApplicationLimited = ack.RateSample.IsApplicationLimited;
        }
        Observe();
    }

    public void OnCongestionEvent(Instant now, in CongestionEvent congestion)
    {
        Inner.OnCongestionEvent(now, congestion);
        CongestionEvents++;
        Observe();
    }

    public void OnSpuriousCongestionEvent(Instant now)
    {
        Inner.OnSpuriousCongestionEvent(now);
        Observe();
    }

    public void OnMaxDatagramSizeChanged(int maxDatagramSize) => Inner.OnMaxDatagramSizeChanged(maxDatagramSize);

    private void Observe()
    {
        long cwnd = Inner.CongestionWindow;
        if (cwnd < MinimumObservedWindow) MinimumObservedWindow = cwnd;
    }

    /// <summary>The documented floor of the built-in controllers.</summary>
    public long ControllerMinimumWindow => Inner switch
    {
        NewReno r => r.MinimumWindow,
        Cubic c => c.MinimumWindow,
        Bbr b => b.MinimumWindow,
        _ => 0,
    };
}
