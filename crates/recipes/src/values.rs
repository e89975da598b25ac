//! The typed values of one step: what the learner matches recorded requests against, and what
//! the templating fills a recipe with. None of them is a session value.

use crate::format::Input;

/// The step's inputs and the ids the tool read from known answers, each as text (a number is
/// its decimal text: `10`, `1001`); how each is sent (string or number, array or joined) is the
/// recipe's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub space_id: Option<String>,
    pub app_id: Option<String>,
    pub channel_code: Option<String>,
    pub version: Option<String>,
    pub ratio: Option<String>,
    pub release_notes: Option<String>,
    pub release_id: Option<String>,
    pub version_id: Option<String>,
    /// The whitelist's user IDs, in order.
    pub user_ids: Option<Vec<String>>,
}

impl Values {
    pub fn get(&self, input: Input) -> Option<&str> {
        match input {
            Input::SpaceId => self.space_id.as_deref(),
            Input::AppId => self.app_id.as_deref(),
            Input::ChannelCode => self.channel_code.as_deref(),
            Input::Version => self.version.as_deref(),
            Input::Ratio => self.ratio.as_deref(),
            Input::ReleaseNotes => self.release_notes.as_deref(),
            Input::ReleaseId => self.release_id.as_deref(),
            Input::VersionId => self.version_id.as_deref(),
        }
        .filter(|v| !v.is_empty())
    }

    /// The inputs that have a value, with it.
    pub fn present(&self) -> impl Iterator<Item = (Input, &str)> {
        Input::ALL
            .into_iter()
            .filter_map(|input| self.get(input).map(|v| (input, v)))
    }

    /// The user IDs, when there are any.
    pub fn user_ids(&self) -> Option<&[String]> {
        self.user_ids.as_deref().filter(|ids| !ids.is_empty())
    }
}
