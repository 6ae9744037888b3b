namespace Transport.Interop.Checks;

/// <summary>The runner's TestResult.</summary>
public enum CheckOutcome
{
    /// <summary>SUCCEEDED.</summary>
    Succeeded,
    /// <summary>FAILED.</summary>
    Failed,
    /// <summary>UNSUPPORTED (e.g. no usable key log for a check that needs one).</summary>
    Unsupported,
}
