using Transport.Quic.Connection;
using Transport.Reliable.Congestion;

namespace Transport.Bench.Tour;

/// <summary>
/// One bulk flow of a <see cref="BottleneckSimulation"/>: a client connection that keeps one stream's send buffer full
/// and a server connection that reads everything; counters for the measured window and a time series of samples.
/// </summary>
internal sealed class BottleneckFlow(int index, CongestionControlAlgorithm algorithm, TimeSpan startAt)
{
    public int Index { get; } = index;
    public CongestionControlAlgorithm Algorithm { get; } = algorithm;

    /// <summary>Virtual time after the simulation's start at which the client connects.</summary>
    public TimeSpan StartAt { get; } = startAt;

    public QuicConnectionCore? Client { get; set; }
    public QuicConnectionCore? Server { get; set; }
    public long StreamId { get; set; } = -1;

    /// <summary>Stream bytes the server application has read so far.</summary>
    public long BytesRead { get; set; }

    /// <summary>Client counters and bytes read when the measured window began.</summary>
    public long ReadAtMeasureStart { get; set; }
    public long SentAtMeasureStart { get; set; }
    public long RetransmittedAtMeasureStart { get; set; }

    /// <summary>Results over the measured window (set when the run ends).</summary>
    public double GoodputBitsPerSecond { get; set; }
    public double RetransmissionRate { get; set; }
    public ConnectionStatistics FinalClientStatistics { get; set; }

    /// <summary>
    /// Samples: virtual seconds since the start, congestion window (bytes), bytes in flight, delivery rate (bit/s: UDP
    /// payload bytes that reached the server over the last interval; in-order reads would stall behind every loss).
    /// </summary>
    public List<(double Seconds, long Cwnd, long BytesInFlight, double DeliveryBitsPerSecond)> Samples { get; } = [];
    /// <summary>The server's received UDP payload bytes at the last sample.</summary>
    public long ArrivedAtLastSample { get; set; }

    /// <summary>Why the flow failed (connection closed, handshake never completed), or null.</summary>
    public string? Error { get; set; }

    public static string Label(CongestionControlAlgorithm algorithm) => algorithm switch
    {
        CongestionControlAlgorithm.NewReno => "NewReno",
        CongestionControlAlgorithm.Cubic => "CUBIC",
        CongestionControlAlgorithm.Bbr => "BBR",
        _ => algorithm.ToString(),
    };
}
