from tests.support import Office


def test_a_consultant_opens_and_starts_an_application(office: Office) -> None:
    app = office.workflow.open_application(office.nib, "halal_regular", office.consultant)
    result = office.workflow.advance(app, "start_document_preparation", office.consultant)
    assert result.to_state == "DOC_PREPARATION"
