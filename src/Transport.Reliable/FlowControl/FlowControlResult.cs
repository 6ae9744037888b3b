namespace Transport.Reliable.FlowControl;

/// <summary>The outcome of checking a peer's data against the credit this receiver advertised (RFC 9000 §4.1).</summary>
public enum FlowControlResult
{
    /// <summary>Within the advertised limit.</summary>
    Ok = 0,

    /// <summary>Beyond the advertised limit: close the connection with FLOW_CONTROL_ERROR.</summary>
    FlowControlError = 1,
}
