namespace Transport.Reliable.Tests.Harness;

/// <summary>One point of the recorded time series.</summary>
/// <param name="Time">Virtual time since the start.</param>
/// <param name="CongestionWindow">cwnd, bytes.</param>
/// <param name="BytesInFlight">The loss detector's bytes in flight.</param>
/// <param name="SmoothedRtt">The loss detector's smoothed RTT.</param>
/// <param name="DeliveryRate">The latest valid delivery-rate sample, bytes per second.</param>
/// <param name="PacingRate">The controller's pacing rate, bytes per second.</param>
/// <param name="Delivered">Bytes the receiving application read so far.</param>
internal readonly record struct HarnessSample(
    TimeSpan Time, long CongestionWindow, long BytesInFlight, TimeSpan SmoothedRtt, double DeliveryRate, double PacingRate,
    long Delivered);
