namespace Transport.Reliable.Streams;

/// <summary>
/// What a <see cref="ReceiveBuffer"/> made of a peer's STREAM or RESET_STREAM frame. Anything but <see cref="Ok"/> is a
/// connection error the caller closes the connection with (RFC 9000 §20.1); the buffer is left unchanged.
/// </summary>
public enum ReceiveResult
{
    /// <summary>Accepted (new data stored, or duplicates and data already read discarded).</summary>
    Ok = 0,

    /// <summary>Data beyond the advertised limit (RFC 9000 §4.1, §19.8): close with FLOW_CONTROL_ERROR.</summary>
    FlowControlError = 1,

    /// <summary>
    /// A final size that changed, data at or beyond a known final size, or a final size below data already received
    /// (RFC 9000 §4.5): close with FINAL_SIZE_ERROR.
    /// </summary>
    FinalSizeError = 2,
}
