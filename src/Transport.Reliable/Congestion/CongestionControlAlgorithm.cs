namespace Transport.Reliable.Congestion;

/// <summary>The congestion controllers built into Transport.</summary>
public enum CongestionControlAlgorithm
{
    /// <summary>NewReno as specified by RFC 9002 §7 (<see cref="Congestion.NewReno"/>).</summary>
    NewReno,
    /// <summary>CUBIC (RFC 9438) with HyStart++ (RFC 9406) (<see cref="Congestion.Cubic"/>).</summary>
    Cubic,
    /// <summary>BBR version 3 (draft-ietf-ccwg-bbr) (<see cref="Congestion.Bbr"/>).</summary>
    Bbr,
}
