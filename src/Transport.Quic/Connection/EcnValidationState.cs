namespace Transport.Quic.Connection;

/// <summary>ECN validation of a path (RFC 9000 §13.4.2, Appendix A.4).</summary>
public enum EcnValidationState
{
    /// <summary>The first packets go out marked ECT(0), waiting for acknowledgments with ECN counts.</summary>
    Testing,
    /// <summary>The testing packets were sent; no more marks until an acknowledgment validates them.</summary>
    Unknown,
    /// <summary>The peer's counts matched what was marked: every packet is marked ECT(0).</summary>
    Capable,
    /// <summary>The path or the peer lost the marks (bleached, no counts, counts went down, all marked packets lost), or ECN is off: nothing is marked.</summary>
    Failed,
}
