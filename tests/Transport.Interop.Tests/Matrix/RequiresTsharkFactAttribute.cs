using Transport.Interop.Checks;

namespace Transport.Interop.Tests.Matrix;

/// <summary>A fact that skips with <see cref="Tshark.NotInstalledMessage"/> when tshark is absent.</summary>
public sealed class RequiresTsharkFactAttribute : FactAttribute
{
    public RequiresTsharkFactAttribute()
    {
        if (!Tshark.IsInstalled) Skip = Tshark.NotInstalledMessage;
    }
}
