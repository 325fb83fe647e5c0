// Transcribed from the result code table in docs/rmc.md §2; TestResultTableMatchesDoc checks it against the document.

package rmc

// Error results as they appear on the wire (bit 31 set), one per row of the
// result table. The success value servers return in bodies is ResultSuccess.
const (
	// ResultCoreUnknown is Core::Unknown.
	ResultCoreUnknown Result = 0x80010001
	// ResultCoreNotImplemented is Core::NotImplemented.
	ResultCoreNotImplemented Result = 0x80010002
	// ResultCoreInvalidPointer is Core::InvalidPointer.
	ResultCoreInvalidPointer Result = 0x80010003
	// ResultCoreOperationAborted is Core::OperationAborted.
	ResultCoreOperationAborted Result = 0x80010004
	// ResultCoreException is Core::Exception.
	ResultCoreException Result = 0x80010005
	// ResultCoreAccessDenied is Core::AccessDenied.
	ResultCoreAccessDenied Result = 0x80010006
	// ResultCoreInvalidHandle is Core::InvalidHandle.
	ResultCoreInvalidHandle Result = 0x80010007
	// ResultCoreInvalidIndex is Core::InvalidIndex.
	ResultCoreInvalidIndex Result = 0x80010008
	// ResultCoreOutOfMemory is Core::OutOfMemory.
	ResultCoreOutOfMemory Result = 0x80010009
	// ResultCoreInvalidArgument is Core::InvalidArgument.
	ResultCoreInvalidArgument Result = 0x8001000A
	// ResultCoreTimeout is Core::Timeout.
	ResultCoreTimeout Result = 0x8001000B
	// ResultCoreInitializationFailure is Core::InitializationFailure.
	ResultCoreInitializationFailure Result = 0x8001000C
	// ResultCoreCallInitiationFailure is Core::CallInitiationFailure.
	ResultCoreCallInitiationFailure Result = 0x8001000D
	// ResultCoreRegistrationError is Core::RegistrationError.
	ResultCoreRegistrationError Result = 0x8001000E
	// ResultCoreBufferOverflow is Core::BufferOverflow.
	ResultCoreBufferOverflow Result = 0x8001000F
	// ResultCoreInvalidLockState is Core::InvalidLockState.
	ResultCoreInvalidLockState Result = 0x80010010
	// ResultCoreInvalidSequence is Core::InvalidSequence.
	ResultCoreInvalidSequence Result = 0x80010011
	// ResultCoreSystemError is Core::SystemError.
	ResultCoreSystemError Result = 0x80010012
	// ResultCoreCancelled is Core::Cancelled.
	ResultCoreCancelled Result = 0x80010013
	// ResultDDLInvalidSignature is DDL::InvalidSignature.
	ResultDDLInvalidSignature Result = 0x80020001
	// ResultDDLIncorrectVersion is DDL::IncorrectVersion.
	ResultDDLIncorrectVersion Result = 0x80020002
	// ResultRendezVousConnectionFailure is RendezVous::ConnectionFailure.
	ResultRendezVousConnectionFailure Result = 0x80030001
	// ResultRendezVousNotAuthenticated is RendezVous::NotAuthenticated.
	ResultRendezVousNotAuthenticated Result = 0x80030002
	// ResultRendezVousInvalidUsername is RendezVous::InvalidUsername.
	ResultRendezVousInvalidUsername Result = 0x80030064
	// ResultRendezVousInvalidPassword is RendezVous::InvalidPassword.
	ResultRendezVousInvalidPassword Result = 0x80030065
	// ResultRendezVousUsernameAlreadyExists is RendezVous::UsernameAlreadyExists.
	ResultRendezVousUsernameAlreadyExists Result = 0x80030066
	// ResultRendezVousAccountDisabled is RendezVous::AccountDisabled.
	ResultRendezVousAccountDisabled Result = 0x80030067
	// ResultRendezVousAccountExpired is RendezVous::AccountExpired.
	ResultRendezVousAccountExpired Result = 0x80030068
	// ResultRendezVousConcurrentLoginDenied is RendezVous::ConcurrentLoginDenied.
	ResultRendezVousConcurrentLoginDenied Result = 0x80030069
	// ResultRendezVousEncryptionFailure is RendezVous::EncryptionFailure.
	ResultRendezVousEncryptionFailure Result = 0x8003006A
	// ResultRendezVousInvalidPID is RendezVous::InvalidPID.
	ResultRendezVousInvalidPID Result = 0x8003006B
	// ResultRendezVousMaxConnectionsReached is RendezVous::MaxConnectionsReached.
	ResultRendezVousMaxConnectionsReached Result = 0x8003006C
	// ResultRendezVousInvalidGID is RendezVous::InvalidGID.
	ResultRendezVousInvalidGID Result = 0x8003006D
	// ResultRendezVousInvalidControlScriptID is RendezVous::InvalidControlScriptID.
	ResultRendezVousInvalidControlScriptID Result = 0x8003006E
	// ResultRendezVousInvalidOperationInLiveEnvironment is RendezVous::InvalidOperationInLiveEnvironment.
	ResultRendezVousInvalidOperationInLiveEnvironment Result = 0x8003006F
	// ResultRendezVousDuplicateEntry is RendezVous::DuplicateEntry.
	ResultRendezVousDuplicateEntry Result = 0x80030070
	// ResultRendezVousControlScriptFailure is RendezVous::ControlScriptFailure.
	ResultRendezVousControlScriptFailure Result = 0x80030071
	// ResultRendezVousClassNotFound is RendezVous::ClassNotFound.
	ResultRendezVousClassNotFound Result = 0x80030072
	// ResultRendezVousSessionVoid is RendezVous::SessionVoid.
	ResultRendezVousSessionVoid Result = 0x80030073
	// ResultRendezVousDDLMismatch is RendezVous::DDLMismatch.
	ResultRendezVousDDLMismatch Result = 0x80030075
	// ResultRendezVousInvalidConfiguration is RendezVous::InvalidConfiguration.
	ResultRendezVousInvalidConfiguration Result = 0x80030076
	// ResultRendezVousSessionFull is RendezVous::SessionFull.
	ResultRendezVousSessionFull Result = 0x800300C8
	// ResultRendezVousInvalidGatheringPassword is RendezVous::InvalidGatheringPassword.
	ResultRendezVousInvalidGatheringPassword Result = 0x800300C9
	// ResultRendezVousWithoutParticipationPeriod is RendezVous::WithoutParticipationPeriod.
	ResultRendezVousWithoutParticipationPeriod Result = 0x800300CA
	// ResultRendezVousPersistentGatheringCreationMax is RendezVous::PersistentGatheringCreationMax.
	ResultRendezVousPersistentGatheringCreationMax Result = 0x800300CB
	// ResultRendezVousPersistentGatheringParticipationMax is RendezVous::PersistentGatheringParticipationMax.
	ResultRendezVousPersistentGatheringParticipationMax Result = 0x800300CC
	// ResultRendezVousDeniedByParticipants is RendezVous::DeniedByParticipants.
	ResultRendezVousDeniedByParticipants Result = 0x800300CD
	// ResultRendezVousParticipantInBlackList is RendezVous::ParticipantInBlackList.
	ResultRendezVousParticipantInBlackList Result = 0x800300CE
	// ResultRendezVousGameServerMaintenance is RendezVous::GameServerMaintenance.
	ResultRendezVousGameServerMaintenance Result = 0x800300CF
	// ResultRendezVousOperationPostpone is RendezVous::OperationPostpone.
	ResultRendezVousOperationPostpone Result = 0x800300D0
	// ResultRendezVousOutOfRatingRange is RendezVous::OutOfRatingRange.
	ResultRendezVousOutOfRatingRange Result = 0x800300D1
	// ResultRendezVousConnectionDisconnected is RendezVous::ConnectionDisconnected.
	ResultRendezVousConnectionDisconnected Result = 0x800300D2
	// ResultRendezVousInvalidOperation is RendezVous::InvalidOperation.
	ResultRendezVousInvalidOperation Result = 0x800300D3
	// ResultRendezVousNotParticipatedGathering is RendezVous::NotParticipatedGathering.
	ResultRendezVousNotParticipatedGathering Result = 0x800300D4
	// ResultRendezVousMatchmakeSessionUserPasswordUnmatch is RendezVous::MatchmakeSessionUserPasswordUnmatch.
	ResultRendezVousMatchmakeSessionUserPasswordUnmatch Result = 0x800300D5
	// ResultRendezVousMatchmakeSessionSystemPasswordUnmatch is RendezVous::MatchmakeSessionSystemPasswordUnmatch.
	ResultRendezVousMatchmakeSessionSystemPasswordUnmatch Result = 0x800300D6
	// ResultRendezVousUserIsOffline is RendezVous::UserIsOffline.
	ResultRendezVousUserIsOffline Result = 0x800300D7
	// ResultRendezVousAlreadyParticipatedGathering is RendezVous::AlreadyParticipatedGathering.
	ResultRendezVousAlreadyParticipatedGathering Result = 0x800300D8
	// ResultRendezVousPermissionDenied is RendezVous::PermissionDenied.
	ResultRendezVousPermissionDenied Result = 0x800300D9
	// ResultRendezVousNotFriend is RendezVous::NotFriend.
	ResultRendezVousNotFriend Result = 0x800300DA
	// ResultRendezVousSessionClosed is RendezVous::SessionClosed.
	ResultRendezVousSessionClosed Result = 0x800300DB
	// ResultRendezVousDatabaseTemporarilyUnavailable is RendezVous::DatabaseTemporarilyUnavailable.
	ResultRendezVousDatabaseTemporarilyUnavailable Result = 0x800300DC
	// ResultRendezVousInvalidUniqueId is RendezVous::InvalidUniqueId.
	ResultRendezVousInvalidUniqueId Result = 0x800300DD
	// ResultRendezVousMatchmakingWithdrawn is RendezVous::MatchmakingWithdrawn.
	ResultRendezVousMatchmakingWithdrawn Result = 0x800300DE
	// ResultRendezVousLimitExceeded is RendezVous::LimitExceeded.
	ResultRendezVousLimitExceeded Result = 0x800300DF
	// ResultRendezVousAccountTemporarilyDisabled is RendezVous::AccountTemporarilyDisabled.
	ResultRendezVousAccountTemporarilyDisabled Result = 0x800300E0
	// ResultRendezVousPartiallyServiceClosed is RendezVous::PartiallyServiceClosed.
	ResultRendezVousPartiallyServiceClosed Result = 0x800300E1
	// ResultRendezVousConnectionDisconnectedForConcurrentLogin is RendezVous::ConnectionDisconnectedForConcurrentLogin.
	ResultRendezVousConnectionDisconnectedForConcurrentLogin Result = 0x800300E2
	// ResultPythonCoreException is PythonCore::Exception.
	ResultPythonCoreException Result = 0x80040001
	// ResultPythonCoreTypeError is PythonCore::TypeError.
	ResultPythonCoreTypeError Result = 0x80040002
	// ResultPythonCoreIndexError is PythonCore::IndexError.
	ResultPythonCoreIndexError Result = 0x80040003
	// ResultPythonCoreInvalidReference is PythonCore::InvalidReference.
	ResultPythonCoreInvalidReference Result = 0x80040004
	// ResultPythonCoreCallFailure is PythonCore::CallFailure.
	ResultPythonCoreCallFailure Result = 0x80040005
	// ResultPythonCoreMemoryError is PythonCore::MemoryError.
	ResultPythonCoreMemoryError Result = 0x80040006
	// ResultPythonCoreKeyError is PythonCore::KeyError.
	ResultPythonCoreKeyError Result = 0x80040007
	// ResultPythonCoreOperationError is PythonCore::OperationError.
	ResultPythonCoreOperationError Result = 0x80040008
	// ResultPythonCoreConversionError is PythonCore::ConversionError.
	ResultPythonCoreConversionError Result = 0x80040009
	// ResultPythonCoreValidationError is PythonCore::ValidationError.
	ResultPythonCoreValidationError Result = 0x8004000A
	// ResultTransportUnknown is Transport::Unknown.
	ResultTransportUnknown Result = 0x80050001
	// ResultTransportConnectionFailure is Transport::ConnectionFailure.
	ResultTransportConnectionFailure Result = 0x80050002
	// ResultTransportInvalidUrl is Transport::InvalidUrl.
	ResultTransportInvalidUrl Result = 0x80050003
	// ResultTransportInvalidKey is Transport::InvalidKey.
	ResultTransportInvalidKey Result = 0x80050004
	// ResultTransportInvalidURLType is Transport::InvalidURLType.
	ResultTransportInvalidURLType Result = 0x80050005
	// ResultTransportDuplicateEndpoint is Transport::DuplicateEndpoint.
	ResultTransportDuplicateEndpoint Result = 0x80050006
	// ResultTransportIOError is Transport::IOError.
	ResultTransportIOError Result = 0x80050007
	// ResultTransportTimeout is Transport::Timeout.
	ResultTransportTimeout Result = 0x80050008
	// ResultTransportConnectionReset is Transport::ConnectionReset.
	ResultTransportConnectionReset Result = 0x80050009
	// ResultTransportIncorrectRemoteAuthentication is Transport::IncorrectRemoteAuthentication.
	ResultTransportIncorrectRemoteAuthentication Result = 0x8005000A
	// ResultTransportServerRequestError is Transport::ServerRequestError.
	ResultTransportServerRequestError Result = 0x8005000B
	// ResultTransportDecompressionFailure is Transport::DecompressionFailure.
	ResultTransportDecompressionFailure Result = 0x8005000C
	// ResultTransportReliableSendBufferFullFatal is Transport::ReliableSendBufferFullFatal.
	ResultTransportReliableSendBufferFullFatal Result = 0x8005000D
	// ResultTransportUPnPCannotInit is Transport::UPnPCannotInit.
	ResultTransportUPnPCannotInit Result = 0x8005000E
	// ResultTransportUPnPCannotAddMapping is Transport::UPnPCannotAddMapping.
	ResultTransportUPnPCannotAddMapping Result = 0x8005000F
	// ResultTransportNatPMPCannotInit is Transport::NatPMPCannotInit.
	ResultTransportNatPMPCannotInit Result = 0x80050010
	// ResultTransportNatPMPCannotAddMapping is Transport::NatPMPCannotAddMapping.
	ResultTransportNatPMPCannotAddMapping Result = 0x80050011
	// ResultTransportUnsupportedNAT is Transport::UnsupportedNAT.
	ResultTransportUnsupportedNAT Result = 0x80050013
	// ResultTransportDnsError is Transport::DnsError.
	ResultTransportDnsError Result = 0x80050014
	// ResultTransportProxyError is Transport::ProxyError.
	ResultTransportProxyError Result = 0x80050015
	// ResultTransportDataRemaining is Transport::DataRemaining.
	ResultTransportDataRemaining Result = 0x80050016
	// ResultTransportNoBuffer is Transport::NoBuffer.
	ResultTransportNoBuffer Result = 0x80050017
	// ResultTransportNotFound is Transport::NotFound.
	ResultTransportNotFound Result = 0x80050018
	// ResultTransportTemporaryServerError is Transport::TemporaryServerError.
	ResultTransportTemporaryServerError Result = 0x80050019
	// ResultTransportPermanentServerError is Transport::PermanentServerError.
	ResultTransportPermanentServerError Result = 0x8005001A
	// ResultTransportServiceUnavailable is Transport::ServiceUnavailable.
	ResultTransportServiceUnavailable Result = 0x8005001B
	// ResultTransportReliableSendBufferFull is Transport::ReliableSendBufferFull.
	ResultTransportReliableSendBufferFull Result = 0x8005001C
	// ResultTransportInvalidStation is Transport::InvalidStation.
	ResultTransportInvalidStation Result = 0x8005001D
	// ResultTransportInvalidSubStreamID is Transport::InvalidSubStreamID.
	ResultTransportInvalidSubStreamID Result = 0x8005001E
	// ResultTransportPacketBufferFull is Transport::PacketBufferFull.
	ResultTransportPacketBufferFull Result = 0x8005001F
	// ResultTransportNatTraversalError is Transport::NatTraversalError.
	ResultTransportNatTraversalError Result = 0x80050020
	// ResultTransportNatCheckError is Transport::NatCheckError.
	ResultTransportNatCheckError Result = 0x80050021
	// ResultDOCoreStationNotReached is DOCore::StationNotReached.
	ResultDOCoreStationNotReached Result = 0x80060001
	// ResultDOCoreTargetStationDisconnect is DOCore::TargetStationDisconnect.
	ResultDOCoreTargetStationDisconnect Result = 0x80060002
	// ResultDOCoreLocalStationLeaving is DOCore::LocalStationLeaving.
	ResultDOCoreLocalStationLeaving Result = 0x80060003
	// ResultDOCoreObjectNotFound is DOCore::ObjectNotFound.
	ResultDOCoreObjectNotFound Result = 0x80060004
	// ResultDOCoreInvalidRole is DOCore::InvalidRole.
	ResultDOCoreInvalidRole Result = 0x80060005
	// ResultDOCoreCallTimeout is DOCore::CallTimeout.
	ResultDOCoreCallTimeout Result = 0x80060006
	// ResultDOCoreRMCDispatchFailed is DOCore::RMCDispatchFailed.
	ResultDOCoreRMCDispatchFailed Result = 0x80060007
	// ResultDOCoreMigrationInProgress is DOCore::MigrationInProgress.
	ResultDOCoreMigrationInProgress Result = 0x80060008
	// ResultDOCoreNoAuthority is DOCore::NoAuthority.
	ResultDOCoreNoAuthority Result = 0x80060009
	// ResultDOCoreNoTargetStationSpecified is DOCore::NoTargetStationSpecified.
	ResultDOCoreNoTargetStationSpecified Result = 0x8006000A
	// ResultDOCoreJoinFailed is DOCore::JoinFailed.
	ResultDOCoreJoinFailed Result = 0x8006000B
	// ResultDOCoreJoinDenied is DOCore::JoinDenied.
	ResultDOCoreJoinDenied Result = 0x8006000C
	// ResultDOCoreConnectivityTestFailed is DOCore::ConnectivityTestFailed.
	ResultDOCoreConnectivityTestFailed Result = 0x8006000D
	// ResultDOCoreUnknown is DOCore::Unknown.
	ResultDOCoreUnknown Result = 0x8006000E
	// ResultDOCoreUnfreedReferences is DOCore::UnfreedReferences.
	ResultDOCoreUnfreedReferences Result = 0x8006000F
	// ResultDOCoreJobTerminationFailed is DOCore::JobTerminationFailed.
	ResultDOCoreJobTerminationFailed Result = 0x80060010
	// ResultDOCoreInvalidState is DOCore::InvalidState.
	ResultDOCoreInvalidState Result = 0x80060011
	// ResultDOCoreFaultRecoveryFatal is DOCore::FaultRecoveryFatal.
	ResultDOCoreFaultRecoveryFatal Result = 0x80060012
	// ResultDOCoreFaultRecoveryJobProcessFailed is DOCore::FaultRecoveryJobProcessFailed.
	ResultDOCoreFaultRecoveryJobProcessFailed Result = 0x80060013
	// ResultDOCoreStationInconsitency is DOCore::StationInconsitency.
	ResultDOCoreStationInconsitency Result = 0x80060014
	// ResultDOCoreAbnormalMasterState is DOCore::AbnormalMasterState.
	ResultDOCoreAbnormalMasterState Result = 0x80060015
	// ResultDOCoreVersionMismatch is DOCore::VersionMismatch.
	ResultDOCoreVersionMismatch Result = 0x80060016
	// ResultFPDNotInitialized is FPD::NotInitialized.
	ResultFPDNotInitialized Result = 0x80650000
	// ResultFPDAlreadyInitialized is FPD::AlreadyInitialized.
	ResultFPDAlreadyInitialized Result = 0x80650001
	// ResultFPDNotConnected is FPD::NotConnected.
	ResultFPDNotConnected Result = 0x80650002
	// ResultFPDConnected is FPD::Connected.
	ResultFPDConnected Result = 0x80650003
	// ResultFPDInitializationFailure is FPD::InitializationFailure.
	ResultFPDInitializationFailure Result = 0x80650004
	// ResultFPDOutOfMemory is FPD::OutOfMemory.
	ResultFPDOutOfMemory Result = 0x80650005
	// ResultFPDRmcFailed is FPD::RmcFailed.
	ResultFPDRmcFailed Result = 0x80650006
	// ResultFPDInvalidArgument is FPD::InvalidArgument.
	ResultFPDInvalidArgument Result = 0x80650007
	// ResultFPDInvalidLocalAccountID is FPD::InvalidLocalAccountID.
	ResultFPDInvalidLocalAccountID Result = 0x80650008
	// ResultFPDInvalidPrincipalID is FPD::InvalidPrincipalID.
	ResultFPDInvalidPrincipalID Result = 0x80650009
	// ResultFPDInvalidLocalFriendCode is FPD::InvalidLocalFriendCode.
	ResultFPDInvalidLocalFriendCode Result = 0x8065000A
	// ResultFPDLocalAccountNotExists is FPD::LocalAccountNotExists.
	ResultFPDLocalAccountNotExists Result = 0x8065000B
	// ResultFPDLocalAccountNotLoaded is FPD::LocalAccountNotLoaded.
	ResultFPDLocalAccountNotLoaded Result = 0x8065000C
	// ResultFPDLocalAccountAlreadyLoaded is FPD::LocalAccountAlreadyLoaded.
	ResultFPDLocalAccountAlreadyLoaded Result = 0x8065000D
	// ResultFPDFriendAlreadyExists is FPD::FriendAlreadyExists.
	ResultFPDFriendAlreadyExists Result = 0x8065000E
	// ResultFPDFriendNotExists is FPD::FriendNotExists.
	ResultFPDFriendNotExists Result = 0x8065000F
	// ResultFPDFriendNumMax is FPD::FriendNumMax.
	ResultFPDFriendNumMax Result = 0x80650010
	// ResultFPDNotFriend is FPD::NotFriend.
	ResultFPDNotFriend Result = 0x80650011
	// ResultFPDFileIO is FPD::FileIO.
	ResultFPDFileIO Result = 0x80650012
	// ResultFPDP2PInternetProhibited is FPD::P2PInternetProhibited.
	ResultFPDP2PInternetProhibited Result = 0x80650013
	// ResultFPDUnknown is FPD::Unknown.
	ResultFPDUnknown Result = 0x80650014
	// ResultFPDInvalidState is FPD::InvalidState.
	ResultFPDInvalidState Result = 0x80650015
	// ResultFPDAddFriendProhibited is FPD::AddFriendProhibited.
	ResultFPDAddFriendProhibited Result = 0x80650017
	// ResultFPDInvalidAccount is FPD::InvalidAccount.
	ResultFPDInvalidAccount Result = 0x80650019
	// ResultFPDBlacklistedByMe is FPD::BlacklistedByMe.
	ResultFPDBlacklistedByMe Result = 0x8065001A
	// ResultFPDFriendAlreadyAdded is FPD::FriendAlreadyAdded.
	ResultFPDFriendAlreadyAdded Result = 0x8065001C
	// ResultFPDMyFriendListLimitExceed is FPD::MyFriendListLimitExceed.
	ResultFPDMyFriendListLimitExceed Result = 0x8065001D
	// ResultFPDRequestLimitExceed is FPD::RequestLimitExceed.
	ResultFPDRequestLimitExceed Result = 0x8065001E
	// ResultFPDInvalidMessageID is FPD::InvalidMessageID.
	ResultFPDInvalidMessageID Result = 0x8065001F
	// ResultFPDMessageIsNotMine is FPD::MessageIsNotMine.
	ResultFPDMessageIsNotMine Result = 0x80650020
	// ResultFPDMessageIsNotForMe is FPD::MessageIsNotForMe.
	ResultFPDMessageIsNotForMe Result = 0x80650021
	// ResultFPDFriendRequestBlocked is FPD::FriendRequestBlocked.
	ResultFPDFriendRequestBlocked Result = 0x80650022
	// ResultFPDNotInMyFriendList is FPD::NotInMyFriendList.
	ResultFPDNotInMyFriendList Result = 0x80650023
	// ResultFPDFriendListedByMe is FPD::FriendListedByMe.
	ResultFPDFriendListedByMe Result = 0x80650024
	// ResultFPDNotInMyBlacklist is FPD::NotInMyBlacklist.
	ResultFPDNotInMyBlacklist Result = 0x80650025
	// ResultFPDIncompatibleAccount is FPD::IncompatibleAccount.
	ResultFPDIncompatibleAccount Result = 0x80650026
	// ResultFPDBlockSettingChangeNotAllowed is FPD::BlockSettingChangeNotAllowed.
	ResultFPDBlockSettingChangeNotAllowed Result = 0x80650027
	// ResultFPDSizeLimitExceeded is FPD::SizeLimitExceeded.
	ResultFPDSizeLimitExceeded Result = 0x80650028
	// ResultFPDOperationNotAllowed is FPD::OperationNotAllowed.
	ResultFPDOperationNotAllowed Result = 0x80650029
	// ResultFPDNotNetworkAccount is FPD::NotNetworkAccount.
	ResultFPDNotNetworkAccount Result = 0x8065002A
	// ResultFPDNotificationNotFound is FPD::NotificationNotFound.
	ResultFPDNotificationNotFound Result = 0x8065002B
	// ResultFPDPreferenceNotInitialized is FPD::PreferenceNotInitialized.
	ResultFPDPreferenceNotInitialized Result = 0x8065002C
	// ResultFPDFriendRequestNotAllowed is FPD::FriendRequestNotAllowed.
	ResultFPDFriendRequestNotAllowed Result = 0x8065002D
	// ResultRankingNotInitialized is Ranking::NotInitialized.
	ResultRankingNotInitialized Result = 0x80670001
	// ResultRankingInvalidArgument is Ranking::InvalidArgument.
	ResultRankingInvalidArgument Result = 0x80670002
	// ResultRankingRegistrationError is Ranking::RegistrationError.
	ResultRankingRegistrationError Result = 0x80670003
	// ResultRankingNotFound is Ranking::NotFound.
	ResultRankingNotFound Result = 0x80670005
	// ResultRankingInvalidScore is Ranking::InvalidScore.
	ResultRankingInvalidScore Result = 0x80670006
	// ResultRankingInvalidDataSize is Ranking::InvalidDataSize.
	ResultRankingInvalidDataSize Result = 0x80670007
	// ResultRankingPermissionDenied is Ranking::PermissionDenied.
	ResultRankingPermissionDenied Result = 0x80670009
	// ResultRankingUnknown is Ranking::Unknown.
	ResultRankingUnknown Result = 0x8067000A
	// ResultRankingNotImplemented is Ranking::NotImplemented.
	ResultRankingNotImplemented Result = 0x8067000B
	// ResultAuthenticationNASAuthenticateError is Authentication::NASAuthenticateError.
	ResultAuthenticationNASAuthenticateError Result = 0x80680001
	// ResultAuthenticationTokenParseError is Authentication::TokenParseError.
	ResultAuthenticationTokenParseError Result = 0x80680002
	// ResultAuthenticationHttpConnectionError is Authentication::HttpConnectionError.
	ResultAuthenticationHttpConnectionError Result = 0x80680003
	// ResultAuthenticationHttpDNSError is Authentication::HttpDNSError.
	ResultAuthenticationHttpDNSError Result = 0x80680004
	// ResultAuthenticationHttpGetProxySetting is Authentication::HttpGetProxySetting.
	ResultAuthenticationHttpGetProxySetting Result = 0x80680005
	// ResultAuthenticationTokenExpired is Authentication::TokenExpired.
	ResultAuthenticationTokenExpired Result = 0x80680006
	// ResultAuthenticationValidationFailed is Authentication::ValidationFailed.
	ResultAuthenticationValidationFailed Result = 0x80680007
	// ResultAuthenticationInvalidParam is Authentication::InvalidParam.
	ResultAuthenticationInvalidParam Result = 0x80680008
	// ResultAuthenticationPrincipalIdUnmatched is Authentication::PrincipalIdUnmatched.
	ResultAuthenticationPrincipalIdUnmatched Result = 0x80680009
	// ResultAuthenticationMoveCountUnmatch is Authentication::MoveCountUnmatch.
	ResultAuthenticationMoveCountUnmatch Result = 0x8068000A
	// ResultAuthenticationUnderMaintenance is Authentication::UnderMaintenance.
	ResultAuthenticationUnderMaintenance Result = 0x8068000B
	// ResultAuthenticationUnsupportedVersion is Authentication::UnsupportedVersion.
	ResultAuthenticationUnsupportedVersion Result = 0x8068000C
	// ResultAuthenticationServerVersionIsOld is Authentication::ServerVersionIsOld.
	ResultAuthenticationServerVersionIsOld Result = 0x8068000D
	// ResultAuthenticationUnknown is Authentication::Unknown.
	ResultAuthenticationUnknown Result = 0x8068000E
	// ResultAuthenticationClientVersionIsOld is Authentication::ClientVersionIsOld.
	ResultAuthenticationClientVersionIsOld Result = 0x8068000F
	// ResultAuthenticationAccountLibraryError is Authentication::AccountLibraryError.
	ResultAuthenticationAccountLibraryError Result = 0x80680010
	// ResultAuthenticationServiceNoLongerAvailable is Authentication::ServiceNoLongerAvailable.
	ResultAuthenticationServiceNoLongerAvailable Result = 0x80680011
	// ResultAuthenticationUnknownApplication is Authentication::UnknownApplication.
	ResultAuthenticationUnknownApplication Result = 0x80680012
	// ResultAuthenticationApplicationVersionIsOld is Authentication::ApplicationVersionIsOld.
	ResultAuthenticationApplicationVersionIsOld Result = 0x80680013
	// ResultAuthenticationOutOfService is Authentication::OutOfService.
	ResultAuthenticationOutOfService Result = 0x80680014
	// ResultAuthenticationNetworkServiceLicenseRequired is Authentication::NetworkServiceLicenseRequired.
	ResultAuthenticationNetworkServiceLicenseRequired Result = 0x80680015
	// ResultAuthenticationNetworkServiceLicenseSystemError is Authentication::NetworkServiceLicenseSystemError.
	ResultAuthenticationNetworkServiceLicenseSystemError Result = 0x80680016
	// ResultAuthenticationNetworkServiceLicenseError3 is Authentication::NetworkServiceLicenseError3.
	ResultAuthenticationNetworkServiceLicenseError3 Result = 0x80680017
	// ResultAuthenticationNetworkServiceLicenseError4 is Authentication::NetworkServiceLicenseError4.
	ResultAuthenticationNetworkServiceLicenseError4 Result = 0x80680018
	// ResultDataStoreUnknown is DataStore::Unknown.
	ResultDataStoreUnknown Result = 0x80690001
	// ResultDataStoreInvalidArgument is DataStore::InvalidArgument.
	ResultDataStoreInvalidArgument Result = 0x80690002
	// ResultDataStorePermissionDenied is DataStore::PermissionDenied.
	ResultDataStorePermissionDenied Result = 0x80690003
	// ResultDataStoreNotFound is DataStore::NotFound.
	ResultDataStoreNotFound Result = 0x80690004
	// ResultDataStoreAlreadyLocked is DataStore::AlreadyLocked.
	ResultDataStoreAlreadyLocked Result = 0x80690005
	// ResultDataStoreUnderReviewing is DataStore::UnderReviewing.
	ResultDataStoreUnderReviewing Result = 0x80690006
	// ResultDataStoreExpired is DataStore::Expired.
	ResultDataStoreExpired Result = 0x80690007
	// ResultDataStoreInvalidCheckToken is DataStore::InvalidCheckToken.
	ResultDataStoreInvalidCheckToken Result = 0x80690008
	// ResultDataStoreSystemFileError is DataStore::SystemFileError.
	ResultDataStoreSystemFileError Result = 0x80690009
	// ResultDataStoreOverCapacity is DataStore::OverCapacity.
	ResultDataStoreOverCapacity Result = 0x8069000A
	// ResultDataStoreOperationNotAllowed is DataStore::OperationNotAllowed.
	ResultDataStoreOperationNotAllowed Result = 0x8069000B
	// ResultDataStoreInvalidPassword is DataStore::InvalidPassword.
	ResultDataStoreInvalidPassword Result = 0x8069000C
	// ResultDataStoreValueNotEqual is DataStore::ValueNotEqual.
	ResultDataStoreValueNotEqual Result = 0x8069000D
	// ResultServiceItemUnknown is ServiceItem::Unknown.
	ResultServiceItemUnknown Result = 0x806C0001
	// ResultServiceItemInvalidArgument is ServiceItem::InvalidArgument.
	ResultServiceItemInvalidArgument Result = 0x806C0002
	// ResultServiceItemEShopUnknownHttpError is ServiceItem::EShopUnknownHttpError.
	ResultServiceItemEShopUnknownHttpError Result = 0x806C0003
	// ResultServiceItemEShopResponseParseError is ServiceItem::EShopResponseParseError.
	ResultServiceItemEShopResponseParseError Result = 0x806C0004
	// ResultServiceItemNotOwned is ServiceItem::NotOwned.
	ResultServiceItemNotOwned Result = 0x806C0005
	// ResultServiceItemInvalidLimitationType is ServiceItem::InvalidLimitationType.
	ResultServiceItemInvalidLimitationType Result = 0x806C0006
	// ResultServiceItemConsumptionRightShortage is ServiceItem::ConsumptionRightShortage.
	ResultServiceItemConsumptionRightShortage Result = 0x806C0007
	// ResultMatchmakeRefereeUnknown is MatchmakeReferee::Unknown.
	ResultMatchmakeRefereeUnknown Result = 0x806F0001
	// ResultMatchmakeRefereeInvalidArgument is MatchmakeReferee::InvalidArgument.
	ResultMatchmakeRefereeInvalidArgument Result = 0x806F0002
	// ResultMatchmakeRefereeAlreadyExists is MatchmakeReferee::AlreadyExists.
	ResultMatchmakeRefereeAlreadyExists Result = 0x806F0003
	// ResultMatchmakeRefereeNotParticipatedGathering is MatchmakeReferee::NotParticipatedGathering.
	ResultMatchmakeRefereeNotParticipatedGathering Result = 0x806F0004
	// ResultMatchmakeRefereeNotParticipatedRound is MatchmakeReferee::NotParticipatedRound.
	ResultMatchmakeRefereeNotParticipatedRound Result = 0x806F0005
	// ResultMatchmakeRefereeStatsNotFound is MatchmakeReferee::StatsNotFound.
	ResultMatchmakeRefereeStatsNotFound Result = 0x806F0006
	// ResultMatchmakeRefereeRoundNotFound is MatchmakeReferee::RoundNotFound.
	ResultMatchmakeRefereeRoundNotFound Result = 0x806F0007
	// ResultMatchmakeRefereeRoundArbitrated is MatchmakeReferee::RoundArbitrated.
	ResultMatchmakeRefereeRoundArbitrated Result = 0x806F0008
	// ResultMatchmakeRefereeRoundNotArbitrated is MatchmakeReferee::RoundNotArbitrated.
	ResultMatchmakeRefereeRoundNotArbitrated Result = 0x806F0009
	// ResultSubscriberUnknown is Subscriber::Unknown.
	ResultSubscriberUnknown Result = 0x80700001
	// ResultSubscriberInvalidArgument is Subscriber::InvalidArgument.
	ResultSubscriberInvalidArgument Result = 0x80700002
	// ResultSubscriberOverLimit is Subscriber::OverLimit.
	ResultSubscriberOverLimit Result = 0x80700003
	// ResultSubscriberPermissionDenied is Subscriber::PermissionDenied.
	ResultSubscriberPermissionDenied Result = 0x80700004
	// ResultRanking2Unknown is Ranking2::Unknown.
	ResultRanking2Unknown Result = 0x80710001
	// ResultRanking2InvalidArgument is Ranking2::InvalidArgument.
	ResultRanking2InvalidArgument Result = 0x80710002
	// ResultRanking2InvalidScore is Ranking2::InvalidScore.
	ResultRanking2InvalidScore Result = 0x80710003
	// ResultSmartDeviceVoiceChatUnknown is SmartDeviceVoiceChat::Unknown.
	ResultSmartDeviceVoiceChatUnknown Result = 0x80720001
	// ResultSmartDeviceVoiceChatInvalidArgument is SmartDeviceVoiceChat::InvalidArgument.
	ResultSmartDeviceVoiceChatInvalidArgument Result = 0x80720002
	// ResultSmartDeviceVoiceChatInvalidResponse is SmartDeviceVoiceChat::InvalidResponse.
	ResultSmartDeviceVoiceChatInvalidResponse Result = 0x80720003
	// ResultSmartDeviceVoiceChatInvalidAccessToken is SmartDeviceVoiceChat::InvalidAccessToken.
	ResultSmartDeviceVoiceChatInvalidAccessToken Result = 0x80720004
	// ResultSmartDeviceVoiceChatUnauthorized is SmartDeviceVoiceChat::Unauthorized.
	ResultSmartDeviceVoiceChatUnauthorized Result = 0x80720005
	// ResultSmartDeviceVoiceChatAccessError is SmartDeviceVoiceChat::AccessError.
	ResultSmartDeviceVoiceChatAccessError Result = 0x80720006
	// ResultSmartDeviceVoiceChatUserNotFound is SmartDeviceVoiceChat::UserNotFound.
	ResultSmartDeviceVoiceChatUserNotFound Result = 0x80720007
	// ResultSmartDeviceVoiceChatRoomNotFound is SmartDeviceVoiceChat::RoomNotFound.
	ResultSmartDeviceVoiceChatRoomNotFound Result = 0x80720008
	// ResultSmartDeviceVoiceChatRoomNotActivated is SmartDeviceVoiceChat::RoomNotActivated.
	ResultSmartDeviceVoiceChatRoomNotActivated Result = 0x80720009
	// ResultSmartDeviceVoiceChatApplicationNotSupported is SmartDeviceVoiceChat::ApplicationNotSupported.
	ResultSmartDeviceVoiceChatApplicationNotSupported Result = 0x8072000A
	// ResultSmartDeviceVoiceChatInternalServerError is SmartDeviceVoiceChat::InternalServerError.
	ResultSmartDeviceVoiceChatInternalServerError Result = 0x8072000B
	// ResultSmartDeviceVoiceChatServiceUnavailable is SmartDeviceVoiceChat::ServiceUnavailable.
	ResultSmartDeviceVoiceChatServiceUnavailable Result = 0x8072000C
	// ResultSmartDeviceVoiceChatUnexpectedError is SmartDeviceVoiceChat::UnexpectedError.
	ResultSmartDeviceVoiceChatUnexpectedError Result = 0x8072000D
	// ResultSmartDeviceVoiceChatUnderMaintenance is SmartDeviceVoiceChat::UnderMaintenance.
	ResultSmartDeviceVoiceChatUnderMaintenance Result = 0x8072000E
	// ResultSmartDeviceVoiceChatServiceNoLongerAvailable is SmartDeviceVoiceChat::ServiceNoLongerAvailable.
	ResultSmartDeviceVoiceChatServiceNoLongerAvailable Result = 0x8072000F
	// ResultSmartDeviceVoiceChatAccountTemporarilyDisabled is SmartDeviceVoiceChat::AccountTemporarilyDisabled.
	ResultSmartDeviceVoiceChatAccountTemporarilyDisabled Result = 0x80720010
	// ResultSmartDeviceVoiceChatPermissionDenied is SmartDeviceVoiceChat::PermissionDenied.
	ResultSmartDeviceVoiceChatPermissionDenied Result = 0x80720011
	// ResultSmartDeviceVoiceChatNetworkServiceLicenseRequired is SmartDeviceVoiceChat::NetworkServiceLicenseRequired.
	ResultSmartDeviceVoiceChatNetworkServiceLicenseRequired Result = 0x80720012
	// ResultSmartDeviceVoiceChatAccountLibraryError is SmartDeviceVoiceChat::AccountLibraryError.
	ResultSmartDeviceVoiceChatAccountLibraryError Result = 0x80720013
	// ResultSmartDeviceVoiceChatGameModeNotFound is SmartDeviceVoiceChat::GameModeNotFound.
	ResultSmartDeviceVoiceChatGameModeNotFound Result = 0x80720014
	// ResultScreeningUnknown is Screening::Unknown.
	ResultScreeningUnknown Result = 0x80730001
	// ResultScreeningInvalidArgument is Screening::InvalidArgument.
	ResultScreeningInvalidArgument Result = 0x80730002
	// ResultScreeningNotFound is Screening::NotFound.
	ResultScreeningNotFound Result = 0x80730003
	// ResultCustomUnknown is Custom::Unknown.
	ResultCustomUnknown Result = 0x80740001
	// ResultEssUnknown is Ess::Unknown.
	ResultEssUnknown Result = 0x80750001
	// ResultEssGameSessionError is Ess::GameSessionError.
	ResultEssGameSessionError Result = 0x80750002
	// ResultEssGameSessionMaintenance is Ess::GameSessionMaintenance.
	ResultEssGameSessionMaintenance Result = 0x80750003
)

// resultTable lists every known result (code without bit 31, name),
// sorted by code for binary search.
var resultTable = [...]resultEntry{
	{0x00010001, "Core::Unknown"},
	{0x00010002, "Core::NotImplemented"},
	{0x00010003, "Core::InvalidPointer"},
	{0x00010004, "Core::OperationAborted"},
	{0x00010005, "Core::Exception"},
	{0x00010006, "Core::AccessDenied"},
	{0x00010007, "Core::InvalidHandle"},
	{0x00010008, "Core::InvalidIndex"},
	{0x00010009, "Core::OutOfMemory"},
	{0x0001000A, "Core::InvalidArgument"},
	{0x0001000B, "Core::Timeout"},
	{0x0001000C, "Core::InitializationFailure"},
	{0x0001000D, "Core::CallInitiationFailure"},
	{0x0001000E, "Core::RegistrationError"},
	{0x0001000F, "Core::BufferOverflow"},
	{0x00010010, "Core::InvalidLockState"},
	{0x00010011, "Core::InvalidSequence"},
	{0x00010012, "Core::SystemError"},
	{0x00010013, "Core::Cancelled"},
	{0x00020001, "DDL::InvalidSignature"},
	{0x00020002, "DDL::IncorrectVersion"},
	{0x00030001, "RendezVous::ConnectionFailure"},
	{0x00030002, "RendezVous::NotAuthenticated"},
	{0x00030064, "RendezVous::InvalidUsername"},
	{0x00030065, "RendezVous::InvalidPassword"},
	{0x00030066, "RendezVous::UsernameAlreadyExists"},
	{0x00030067, "RendezVous::AccountDisabled"},
	{0x00030068, "RendezVous::AccountExpired"},
	{0x00030069, "RendezVous::ConcurrentLoginDenied"},
	{0x0003006A, "RendezVous::EncryptionFailure"},
	{0x0003006B, "RendezVous::InvalidPID"},
	{0x0003006C, "RendezVous::MaxConnectionsReached"},
	{0x0003006D, "RendezVous::InvalidGID"},
	{0x0003006E, "RendezVous::InvalidControlScriptID"},
	{0x0003006F, "RendezVous::InvalidOperationInLiveEnvironment"},
	{0x00030070, "RendezVous::DuplicateEntry"},
	{0x00030071, "RendezVous::ControlScriptFailure"},
	{0x00030072, "RendezVous::ClassNotFound"},
	{0x00030073, "RendezVous::SessionVoid"},
	{0x00030075, "RendezVous::DDLMismatch"},
	{0x00030076, "RendezVous::InvalidConfiguration"},
	{0x000300C8, "RendezVous::SessionFull"},
	{0x000300C9, "RendezVous::InvalidGatheringPassword"},
	{0x000300CA, "RendezVous::WithoutParticipationPeriod"},
	{0x000300CB, "RendezVous::PersistentGatheringCreationMax"},
	{0x000300CC, "RendezVous::PersistentGatheringParticipationMax"},
	{0x000300CD, "RendezVous::DeniedByParticipants"},
	{0x000300CE, "RendezVous::ParticipantInBlackList"},
	{0x000300CF, "RendezVous::GameServerMaintenance"},
	{0x000300D0, "RendezVous::OperationPostpone"},
	{0x000300D1, "RendezVous::OutOfRatingRange"},
	{0x000300D2, "RendezVous::ConnectionDisconnected"},
	{0x000300D3, "RendezVous::InvalidOperation"},
	{0x000300D4, "RendezVous::NotParticipatedGathering"},
	{0x000300D5, "RendezVous::MatchmakeSessionUserPasswordUnmatch"},
	{0x000300D6, "RendezVous::MatchmakeSessionSystemPasswordUnmatch"},
	{0x000300D7, "RendezVous::UserIsOffline"},
	{0x000300D8, "RendezVous::AlreadyParticipatedGathering"},
	{0x000300D9, "RendezVous::PermissionDenied"},
	{0x000300DA, "RendezVous::NotFriend"},
	{0x000300DB, "RendezVous::SessionClosed"},
	{0x000300DC, "RendezVous::DatabaseTemporarilyUnavailable"},
	{0x000300DD, "RendezVous::InvalidUniqueId"},
	{0x000300DE, "RendezVous::MatchmakingWithdrawn"},
	{0x000300DF, "RendezVous::LimitExceeded"},
	{0x000300E0, "RendezVous::AccountTemporarilyDisabled"},
	{0x000300E1, "RendezVous::PartiallyServiceClosed"},
	{0x000300E2, "RendezVous::ConnectionDisconnectedForConcurrentLogin"},
	{0x00040001, "PythonCore::Exception"},
	{0x00040002, "PythonCore::TypeError"},
	{0x00040003, "PythonCore::IndexError"},
	{0x00040004, "PythonCore::InvalidReference"},
	{0x00040005, "PythonCore::CallFailure"},
	{0x00040006, "PythonCore::MemoryError"},
	{0x00040007, "PythonCore::KeyError"},
	{0x00040008, "PythonCore::OperationError"},
	{0x00040009, "PythonCore::ConversionError"},
	{0x0004000A, "PythonCore::ValidationError"},
	{0x00050001, "Transport::Unknown"},
	{0x00050002, "Transport::ConnectionFailure"},
	{0x00050003, "Transport::InvalidUrl"},
	{0x00050004, "Transport::InvalidKey"},
	{0x00050005, "Transport::InvalidURLType"},
	{0x00050006, "Transport::DuplicateEndpoint"},
	{0x00050007, "Transport::IOError"},
	{0x00050008, "Transport::Timeout"},
	{0x00050009, "Transport::ConnectionReset"},
	{0x0005000A, "Transport::IncorrectRemoteAuthentication"},
	{0x0005000B, "Transport::ServerRequestError"},
	{0x0005000C, "Transport::DecompressionFailure"},
	{0x0005000D, "Transport::ReliableSendBufferFullFatal"},
	{0x0005000E, "Transport::UPnPCannotInit"},
	{0x0005000F, "Transport::UPnPCannotAddMapping"},
	{0x00050010, "Transport::NatPMPCannotInit"},
	{0x00050011, "Transport::NatPMPCannotAddMapping"},
	{0x00050013, "Transport::UnsupportedNAT"},
	{0x00050014, "Transport::DnsError"},
	{0x00050015, "Transport::ProxyError"},
	{0x00050016, "Transport::DataRemaining"},
	{0x00050017, "Transport::NoBuffer"},
	{0x00050018, "Transport::NotFound"},
	{0x00050019, "Transport::TemporaryServerError"},
	{0x0005001A, "Transport::PermanentServerError"},
	{0x0005001B, "Transport::ServiceUnavailable"},
	{0x0005001C, "Transport::ReliableSendBufferFull"},
	{0x0005001D, "Transport::InvalidStation"},
	{0x0005001E, "Transport::InvalidSubStreamID"},
	{0x0005001F, "Transport::PacketBufferFull"},
	{0x00050020, "Transport::NatTraversalError"},
	{0x00050021, "Transport::NatCheckError"},
	{0x00060001, "DOCore::StationNotReached"},
	{0x00060002, "DOCore::TargetStationDisconnect"},
	{0x00060003, "DOCore::LocalStationLeaving"},
	{0x00060004, "DOCore::ObjectNotFound"},
	{0x00060005, "DOCore::InvalidRole"},
	{0x00060006, "DOCore::CallTimeout"},
	{0x00060007, "DOCore::RMCDispatchFailed"},
	{0x00060008, "DOCore::MigrationInProgress"},
	{0x00060009, "DOCore::NoAuthority"},
	{0x0006000A, "DOCore::NoTargetStationSpecified"},
	{0x0006000B, "DOCore::JoinFailed"},
	{0x0006000C, "DOCore::JoinDenied"},
	{0x0006000D, "DOCore::ConnectivityTestFailed"},
	{0x0006000E, "DOCore::Unknown"},
	{0x0006000F, "DOCore::UnfreedReferences"},
	{0x00060010, "DOCore::JobTerminationFailed"},
	{0x00060011, "DOCore::InvalidState"},
	{0x00060012, "DOCore::FaultRecoveryFatal"},
	{0x00060013, "DOCore::FaultRecoveryJobProcessFailed"},
	{0x00060014, "DOCore::StationInconsitency"},
	{0x00060015, "DOCore::AbnormalMasterState"},
	{0x00060016, "DOCore::VersionMismatch"},
	{0x00650000, "FPD::NotInitialized"},
	{0x00650001, "FPD::AlreadyInitialized"},
	{0x00650002, "FPD::NotConnected"},
	{0x00650003, "FPD::Connected"},
	{0x00650004, "FPD::InitializationFailure"},
	{0x00650005, "FPD::OutOfMemory"},
	{0x00650006, "FPD::RmcFailed"},
	{0x00650007, "FPD::InvalidArgument"},
	{0x00650008, "FPD::InvalidLocalAccountID"},
	{0x00650009, "FPD::InvalidPrincipalID"},
	{0x0065000A, "FPD::InvalidLocalFriendCode"},
	{0x0065000B, "FPD::LocalAccountNotExists"},
	{0x0065000C, "FPD::LocalAccountNotLoaded"},
	{0x0065000D, "FPD::LocalAccountAlreadyLoaded"},
	{0x0065000E, "FPD::FriendAlreadyExists"},
	{0x0065000F, "FPD::FriendNotExists"},
	{0x00650010, "FPD::FriendNumMax"},
	{0x00650011, "FPD::NotFriend"},
	{0x00650012, "FPD::FileIO"},
	{0x00650013, "FPD::P2PInternetProhibited"},
	{0x00650014, "FPD::Unknown"},
	{0x00650015, "FPD::InvalidState"},
	{0x00650017, "FPD::AddFriendProhibited"},
	{0x00650019, "FPD::InvalidAccount"},
	{0x0065001A, "FPD::BlacklistedByMe"},
	{0x0065001C, "FPD::FriendAlreadyAdded"},
	{0x0065001D, "FPD::MyFriendListLimitExceed"},
	{0x0065001E, "FPD::RequestLimitExceed"},
	{0x0065001F, "FPD::InvalidMessageID"},
	{0x00650020, "FPD::MessageIsNotMine"},
	{0x00650021, "FPD::MessageIsNotForMe"},
	{0x00650022, "FPD::FriendRequestBlocked"},
	{0x00650023, "FPD::NotInMyFriendList"},
	{0x00650024, "FPD::FriendListedByMe"},
	{0x00650025, "FPD::NotInMyBlacklist"},
	{0x00650026, "FPD::IncompatibleAccount"},
	{0x00650027, "FPD::BlockSettingChangeNotAllowed"},
	{0x00650028, "FPD::SizeLimitExceeded"},
	{0x00650029, "FPD::OperationNotAllowed"},
	{0x0065002A, "FPD::NotNetworkAccount"},
	{0x0065002B, "FPD::NotificationNotFound"},
	{0x0065002C, "FPD::PreferenceNotInitialized"},
	{0x0065002D, "FPD::FriendRequestNotAllowed"},
	{0x00670001, "Ranking::NotInitialized"},
	{0x00670002, "Ranking::InvalidArgument"},
	{0x00670003, "Ranking::RegistrationError"},
	{0x00670005, "Ranking::NotFound"},
	{0x00670006, "Ranking::InvalidScore"},
	{0x00670007, "Ranking::InvalidDataSize"},
	{0x00670009, "Ranking::PermissionDenied"},
	{0x0067000A, "Ranking::Unknown"},
	{0x0067000B, "Ranking::NotImplemented"},
	{0x00680001, "Authentication::NASAuthenticateError"},
	{0x00680002, "Authentication::TokenParseError"},
	{0x00680003, "Authentication::HttpConnectionError"},
	{0x00680004, "Authentication::HttpDNSError"},
	{0x00680005, "Authentication::HttpGetProxySetting"},
	{0x00680006, "Authentication::TokenExpired"},
	{0x00680007, "Authentication::ValidationFailed"},
	{0x00680008, "Authentication::InvalidParam"},
	{0x00680009, "Authentication::PrincipalIdUnmatched"},
	{0x0068000A, "Authentication::MoveCountUnmatch"},
	{0x0068000B, "Authentication::UnderMaintenance"},
	{0x0068000C, "Authentication::UnsupportedVersion"},
	{0x0068000D, "Authentication::ServerVersionIsOld"},
	{0x0068000E, "Authentication::Unknown"},
	{0x0068000F, "Authentication::ClientVersionIsOld"},
	{0x00680010, "Authentication::AccountLibraryError"},
	{0x00680011, "Authentication::ServiceNoLongerAvailable"},
	{0x00680012, "Authentication::UnknownApplication"},
	{0x00680013, "Authentication::ApplicationVersionIsOld"},
	{0x00680014, "Authentication::OutOfService"},
	{0x00680015, "Authentication::NetworkServiceLicenseRequired"},
	{0x00680016, "Authentication::NetworkServiceLicenseSystemError"},
	{0x00680017, "Authentication::NetworkServiceLicenseError3"},
	{0x00680018, "Authentication::NetworkServiceLicenseError4"},
	{0x00690001, "DataStore::Unknown"},
	{0x00690002, "DataStore::InvalidArgument"},
	{0x00690003, "DataStore::PermissionDenied"},
	{0x00690004, "DataStore::NotFound"},
	{0x00690005, "DataStore::AlreadyLocked"},
	{0x00690006, "DataStore::UnderReviewing"},
	{0x00690007, "DataStore::Expired"},
	{0x00690008, "DataStore::InvalidCheckToken"},
	{0x00690009, "DataStore::SystemFileError"},
	{0x0069000A, "DataStore::OverCapacity"},
	{0x0069000B, "DataStore::OperationNotAllowed"},
	{0x0069000C, "DataStore::InvalidPassword"},
	{0x0069000D, "DataStore::ValueNotEqual"},
	{0x006C0001, "ServiceItem::Unknown"},
	{0x006C0002, "ServiceItem::InvalidArgument"},
	{0x006C0003, "ServiceItem::EShopUnknownHttpError"},
	{0x006C0004, "ServiceItem::EShopResponseParseError"},
	{0x006C0005, "ServiceItem::NotOwned"},
	{0x006C0006, "ServiceItem::InvalidLimitationType"},
	{0x006C0007, "ServiceItem::ConsumptionRightShortage"},
	{0x006F0001, "MatchmakeReferee::Unknown"},
	{0x006F0002, "MatchmakeReferee::InvalidArgument"},
	{0x006F0003, "MatchmakeReferee::AlreadyExists"},
	{0x006F0004, "MatchmakeReferee::NotParticipatedGathering"},
	{0x006F0005, "MatchmakeReferee::NotParticipatedRound"},
	{0x006F0006, "MatchmakeReferee::StatsNotFound"},
	{0x006F0007, "MatchmakeReferee::RoundNotFound"},
	{0x006F0008, "MatchmakeReferee::RoundArbitrated"},
	{0x006F0009, "MatchmakeReferee::RoundNotArbitrated"},
	{0x00700001, "Subscriber::Unknown"},
	{0x00700002, "Subscriber::InvalidArgument"},
	{0x00700003, "Subscriber::OverLimit"},
	{0x00700004, "Subscriber::PermissionDenied"},
	{0x00710001, "Ranking2::Unknown"},
	{0x00710002, "Ranking2::InvalidArgument"},
	{0x00710003, "Ranking2::InvalidScore"},
	{0x00720001, "SmartDeviceVoiceChat::Unknown"},
	{0x00720002, "SmartDeviceVoiceChat::InvalidArgument"},
	{0x00720003, "SmartDeviceVoiceChat::InvalidResponse"},
	{0x00720004, "SmartDeviceVoiceChat::InvalidAccessToken"},
	{0x00720005, "SmartDeviceVoiceChat::Unauthorized"},
	{0x00720006, "SmartDeviceVoiceChat::AccessError"},
	{0x00720007, "SmartDeviceVoiceChat::UserNotFound"},
	{0x00720008, "SmartDeviceVoiceChat::RoomNotFound"},
	{0x00720009, "SmartDeviceVoiceChat::RoomNotActivated"},
	{0x0072000A, "SmartDeviceVoiceChat::ApplicationNotSupported"},
	{0x0072000B, "SmartDeviceVoiceChat::InternalServerError"},
	{0x0072000C, "SmartDeviceVoiceChat::ServiceUnavailable"},
	{0x0072000D, "SmartDeviceVoiceChat::UnexpectedError"},
	{0x0072000E, "SmartDeviceVoiceChat::UnderMaintenance"},
	{0x0072000F, "SmartDeviceVoiceChat::ServiceNoLongerAvailable"},
	{0x00720010, "SmartDeviceVoiceChat::AccountTemporarilyDisabled"},
	{0x00720011, "SmartDeviceVoiceChat::PermissionDenied"},
	{0x00720012, "SmartDeviceVoiceChat::NetworkServiceLicenseRequired"},
	{0x00720013, "SmartDeviceVoiceChat::AccountLibraryError"},
	{0x00720014, "SmartDeviceVoiceChat::GameModeNotFound"},
	{0x00730001, "Screening::Unknown"},
	{0x00730002, "Screening::InvalidArgument"},
	{0x00730003, "Screening::NotFound"},
	{0x00740001, "Custom::Unknown"},
	{0x00750001, "Ess::Unknown"},
	{0x00750002, "Ess::GameSessionError"},
	{0x00750003, "Ess::GameSessionMaintenance"},
}
