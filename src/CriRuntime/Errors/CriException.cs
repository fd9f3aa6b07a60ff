namespace CriRuntime.Errors;

// Domain code throws these; Grpc/ErrorMappingInterceptor turns them into gRPC status codes, so only Grpc/ knows
// about gRPC. Anything else that escapes a handler becomes INTERNAL and is logged once with its stack.

/// <summary>A failure the client can act on, with a message that says what and why.</summary>
public abstract class CriException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The named object does not exist (NOT_FOUND).</summary>
public sealed class NotFoundException(string message) : CriException(message);

/// <summary>An object with that identity already exists (ALREADY_EXISTS).</summary>
public sealed class AlreadyExistsException(string message) : CriException(message);

/// <summary>The request itself is malformed (INVALID_ARGUMENT).</summary>
public sealed class InvalidArgumentException(string message) : CriException(message);

/// <summary>The request is valid but the object is in the wrong state for it (FAILED_PRECONDITION).</summary>
public sealed class FailedPreconditionException(string message, Exception? inner = null) : CriException(message, inner);

/// <summary>CriRuntime does not support this (UNIMPLEMENTED).</summary>
public sealed class UnimplementedException(string message) : CriException(message);

/// <summary>The operation did not finish in the time the client gave it (DEADLINE_EXCEEDED).</summary>
public sealed class DeadlineExceededException(string message) : CriException(message);

/// <summary>A limit was hit (RESOURCE_EXHAUSTED).</summary>
public sealed class ResourceExhaustedException(string message) : CriException(message);

/// <summary>A step that changes the host failed (INTERNAL, with the step named in the message).</summary>
public sealed class OperationFailedException(string message, Exception? inner = null) : CriException(message, inner);
