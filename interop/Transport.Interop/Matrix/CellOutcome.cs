namespace Transport.Interop.Matrix;

/// <summary>What a matrix cell shows.</summary>
public enum CellOutcome
{
    /// <summary>The runner's SUCCEEDED: client exit 0 and the check passed.</summary>
    Passed,
    /// <summary>The runner's FAILED (timeout, client exit other than 0/127, or the check failed).</summary>
    Failed,
    /// <summary>The runner's UNSUPPORTED: an endpoint exited 127, or the check could not be made (no key log).</summary>
    Unsupported,
    /// <summary>The implementation is not installed here (libmsquic, ngtcp2).</summary>
    Unavailable,
    /// <summary>The harness cannot run this test (reason given).</summary>
    NotRun,
}
